import Foundation
import NIOCore
import NIOPosix
import TidegateConfig
import TidegateCore
import TidegateHTTP
import TidegateLua
import TidegateLuaAPI
import Testing

/// `core.register_cli`: HAProxy's argument checks, what the runtime API learns of the commands, and a command run
/// on an event loop with an applet writing its answer.
@Suite struct CLICommandTests {
    /// Collects what a command writes; `finished` completes when it ends.
    final class RecordingIO: ServiceIO {
        var output = ""
        var input: ByteBuffer?
        var inputEnded = true
        let finished: EventLoopPromise<String>

        init(finished: EventLoopPromise<String>, input: String? = nil) {
            self.finished = finished
            self.input = input.map { ByteBuffer(string: $0) }
        }

        var requestFraming: HTTPBodyFraming? { nil }
        func takeInput() -> ByteBuffer? {
            defer { input = nil }
            return input
        }
        func write(_ bytes: ByteBuffer) { output += String(buffer: bytes) }
        func finish() { finished.succeed(output) }
        var isWritable: Bool { true }
    }

    final class LogLines: @unchecked Sendable {
        var lines: [String] = []
    }

    static func engine(_ script: String, perThread: Bool = true, log: LogLines = LogLines()) throws -> LuaEngine {
        let path = NSTemporaryDirectory() + "tg-cli-\(UUID().uuidString).lua"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (configuration, problems) = LuaEngineConfiguration.parse([
            ConfigDirective(
                words: [perThread ? "lua-load-per-thread" : "lua-load", path],
                location: ConfigLocation(file: "t.cfg", line: 1))
        ])
        #expect(problems.isEmpty)
        return try LuaEngine(
            configuration: configuration, loopCount: 1, environment: .standard,
            log: { _, message in log.lines.append(message) })
    }

    static let script = """
        core.register_cli({"hello", "world"}, "hello world <name> : greets", function(applet, ...)
          local words = {...}
          local line = applet:getline()
          applet:send("hello " .. table.concat(words, ",") .. " #" .. select("#", ...) .. " line=" .. line)
        end)
        core.register_cli({"later"}, "later : sleeps", function(applet)
          core.msleep(20)
          applet:send("slept\\n")
        end)
        core.register_cli({"boom"}, "boom : fails", function(applet)
          applet:send("partial\\n")
          error("kaboom")
        end)
        """

    /// Runs `words` (the request's words) on a loop and returns what it answered.
    static func run(
        _ engine: LuaEngine, words: [String], command: Int, input: String? = nil
    ) async throws -> String {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let commandWords = engine.cliCommands[command].words
        let future = try await loop.submit { () -> EventLoopFuture<String> in
            let runtime = LuaLoopRuntime(engine: engine, eventLoop: loop, index: 0, loopCount: 1)
            let promise = loop.makePromise(of: String.self)
            let io = RecordingIO(finished: promise, input: input)
            let running = runtime.startCLICommand(words: commandWords, arguments: words, io: io)
            if running == nil { promise.succeed("<not registered>") }
            return promise.futureResult.map { output in
                withExtendedLifetime((runtime, io, running)) { output }
            }
        }.get()
        let output = try await future.get()
        try await group.shutdownGracefully()
        return output
    }

    @Test(arguments: [true, false])
    func commandsAreListedAndRunWithEveryWord(perThread: Bool) async throws {
        let engine = try Self.engine(Self.script, perThread: perThread)
        #expect(engine.cliCommands.map(\.words) == [["hello", "world"], ["later"], ["boom"]])
        #expect(engine.cliCommands[0].usage == "hello world <name> : greets")
        let output = try await Self.run(
            engine, words: ["hello", "world", "a", "b c"], command: 0, input: "first line\nsecond\n")
        #expect(output == "hello hello,world,a,b c #4 line=first line\n")
        #expect(try await Self.run(engine, words: ["later"], command: 1) == "slept\n")
    }

    @Test func aFailureIsAnsweredAndLogged() async throws {
        let log = LogLines()
        let engine = try Self.engine(Self.script, log: log)
        let output = try await Self.run(engine, words: ["boom"], command: 2)
        #expect(output.hasPrefix("partial\nLua cli 'boom': runtime error: "))
        #expect(output.hasSuffix(": kaboom\n"))
        #expect(log.lines.contains { $0.hasPrefix("Lua cli 'boom': runtime error: ") && $0.contains("kaboom") })
    }

    @Test func argumentsAreCheckedAsHAProxyDoes() throws {
        func error(_ line: String) -> String {
            do {
                _ = try Self.engine(line)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(error(#"core.register_cli({"a"}, "u")"#).contains("'register_cli' needs 3 arguments"))
        #expect(
            error(#"core.register_cli("a", "u", function() end)"#).contains(
                "bad argument #1 to 'register_cli' (table expected, got string)"))
        #expect(
            error(#"core.register_cli({"a"}, "u", 3)"#).contains(
                "bad argument #3 to 'register_cli' (function expected, got number)"))
        #expect(
            error(#"core.register_cli({"a","b","c","d","e","f"}, "u", function() end)"#).contains(
                "1st argument must be a table with a maximum of 5 entries"))
        #expect(error(#"core.register_cli({}, "u", function() end)"#).contains("1st argument must be a table filled"))
        #expect(error(#"core.register_cli({"a", 3}, "u", function() end)"#).contains("1st argument must be a table filled"))
        #expect(
            error(#"core.register_init(function() core.register_cli({"a"}, "u", function() end) end)"#) == "no error",
            "init functions run later")
    }

    @Test func registeringTwiceWarnsAndTheLastWins() async throws {
        let engine = try Self.engine(
            """
            core.register_cli({"x"}, "x : one", function(applet) applet:send("one") end)
            core.register_cli({"x"}, "x : two", function(applet) applet:send("two") end)
            """)
        #expect(engine.warnings == ["Lua cli 'lua.x' is registered twice: the last one wins"])
        #expect(engine.cliCommands.map(\.usage) == ["x : two"])
        #expect(try await Self.run(engine, words: ["x"], command: 0) == "two")
    }
}
