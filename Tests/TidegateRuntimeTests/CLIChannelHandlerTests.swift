import NIOCore
import NIOEmbedded
import TidegateConfig
import TidegateCore
import Testing

@testable import TidegateRuntime

/// One connection through an `EmbeddedChannel`: answers, closing, idle timeout, and applet commands that read the
/// connection themselves.
@Suite struct CLIChannelHandlerTests {
    /// An applet that answers `echo:<its arguments>` and, with `readLine`, waits for one line of input first.
    final class EchoApplet: RunningService {
        let io: any ServiceIO
        let request: CLIRequest
        let readLine: Bool
        var input: [UInt8] = []

        init(io: any ServiceIO, request: CLIRequest, readLine: Bool) {
            self.io = io
            self.request = request
            self.readLine = readLine
        }

        func start() {
            if readLine { inputAvailable() } else { answer() }
        }

        func inputAvailable() {
            if var bytes = io.takeInput() { input += bytes.readBytes(length: bytes.readableBytes) ?? [] }
            if input.contains(UInt8(ascii: "\n")) || io.inputEnded { answer() }
        }

        private func answer() {
            let line = String(decoding: input, as: UTF8.self)
            io.write(ByteBuffer(string: "echo:\(request.words.joined(separator: ",")) line:\(line)"))
            io.finish()
        }

        func outputWritable() {}
        func cancel() {}
    }

    func channel(level: CLIAccessLevel = .admin, timeout: TimeAmount = .seconds(10)) throws -> EmbeddedChannel {
        var table = CLICommandTable()
        try table.add(CLICommand(words: ["show", "x"], usage: "show x", action: .respond { _ in "x" }))
        try table.add(
            CLICommand(
                words: ["set", "x"], usage: "set x", level: .admin,
                action: .respond { request in "set \(request[2] ?? "")" }))
        for (words, readLine) in [(["echo"], false), (["readline"], true)] {
            try table.add(
                CLICommand(
                    words: words, usage: nil,
                    action: .applet { request, io, _ in
                        let applet = EchoApplet(io: io, request: request, readLine: readLine)
                        applet.start()
                        return applet
                    }))
        }
        let handler = CLIChannelHandler(table: table, level: level, idleTimeout: timeout, maximumRequestSize: 1024)
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func oneLineOfRequestsIsAnsweredThenTheConnectionCloses() throws {
        let channel = try self.channel()
        try send(channel, "show x;set x 5;nope\n")
        let text = try output(channel)
        #expect(text.hasPrefix("x\n\nset 5\n\nUnknown command: 'nope'."))
        #expect(text.hasSuffix("close the connection\n\n"))
        #expect(!channel.isActive)
    }

    @Test func levelsAreChecked() throws {
        let channel = try self.channel(level: .user)
        try send(channel, "set x 5\n")
        #expect(try output(channel) == "Permission denied\n\n")
    }

    @Test func interactiveSessionsStayOpenUntilQuit() throws {
        let channel = try self.channel()
        try send(channel, "prompt\n")
        #expect(try output(channel) == "\n> ")
        try send(channel, "show x\n")
        #expect(try output(channel) == "x\n\n> ")
        #expect(channel.isActive)
        try send(channel, "quit\n")
        #expect(try output(channel) == "")
        #expect(!channel.isActive)
    }

    @Test func anIdleConnectionClosesAfterTheTimeout() throws {
        let channel = try self.channel(timeout: .seconds(10))
        try send(channel, "prompt\n")
        _ = try output(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        try send(channel, "show x\n")
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive, "input resets the timer")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func theEndOfInputAnswersWhatIsCompleteThenCloses() throws {
        let channel = try self.channel()
        try send(channel, "prompt\nshow x\nshow")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try output(channel) == "\n> x\n\n> ")
        #expect(!channel.isActive)
    }

    @Test func anAppletGetsTheWordsAndLeavesTheRestOfTheLine() throws {
        let channel = try self.channel()
        try send(channel, "echo a b;show x\n")
        #expect(try output(channel) == "echo:echo,a,b line:\nx\n\n")
        #expect(!channel.isActive)
    }

    @Test func anAppletReadsTheInputThatFollowsItsRequest() throws {
        let channel = try self.channel()
        try send(channel, "prompt\nreadline\n")
        #expect(try output(channel) == "\n> ")
        try send(channel, "hello\n")
        #expect(try output(channel) == "echo:readline line:hello\n\n> ")
        try send(channel, "show x\n")
        #expect(try output(channel) == "x\n\n> ")
    }
}
