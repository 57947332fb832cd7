import NIOCore
import SPOP
import Testing

@testable import TidegateSPOA

/// The agent over real sockets, driven by a Swift SPOP client playing HAProxy: HELLO, ACKs, pipelining, bad
/// input, shutdown.
@Suite struct AgentConnectionTests {
    @Test func helloNegotiatesPipeliningAndHealthChecksClose() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group, hello: false)
            let answer = try await client.hello(SPOPHAProxyHello(maxFrameSize: 4096, engineID: "e1"))
            let items = try SPOPKVList(validating: answer.payload)
            #expect(items["version"]?.text == "2.0")
            #expect(items["max-frame-size"] == .uint32(4096))
            #expect(items["capabilities"]?.text == "pipelining,fragmentation")

            let probe = try await agent.client(group, hello: false)
            try await probe.hello(SPOPHAProxyHello(capabilities: [], isHealthCheck: true))
            #expect(try await probe.closesConnection())
            #expect(await agent.statistics().healthChecks == 1)
        }
    }

    @Test func everyNotifyIsAckedWithItsIDs() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group)
            // sid 0 is HAProxy 2.6's first stream; large ids take 10-byte varints.
            for (sid, fid) in [(0, 1), (1, 1), (UInt64.max, UInt64.max - 1), (1 << 40, 7)] as [(UInt64, UInt64)] {
                try await client.notify(streamID: sid, frameID: fid, [message("work", [("id", .int64(5))])])
                let (frame, actions) = try await client.expectAck()
                #expect(frame.streamID == sid && frame.frameID == fid)
                #expect(actions == [SPOPAction(set: "id", scope: .transaction, to: .int64(5))])
            }
            // Unknown messages and empty NOTIFYs (HAProxy 3.1/3.2 sent those) get an empty ACK.
            try await client.notify(streamID: 3, frameID: 1, [message("nobody-handles-this")])
            #expect(try await client.expectAck().actions.isEmpty)
            try await client.notify(streamID: 4, frameID: 1, [])
            let empty = try await client.expectAck()
            #expect(empty.actions.isEmpty && empty.frame.streamID == 4)

            let statistics = await agent.statistics()
            #expect(statistics.notifyFrames == 6 && statistics.ackFrames == 6)
            #expect(statistics.messages["work"]?.handled == 4)
            #expect(statistics.messages["nobody-handles-this"]?.unhandled == 1)
        }
    }

    @Test func debugModeLogsEveryFrame() async throws {
        var log = LogRecorder()
        log.logLevel = .debug
        try await withAgent(workers: 1, log: log) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(
                streamID: 7, frameID: 3,
                [
                    message("work", [("id", .int64(5)), ("spin", .int64(0))]),
                    message("note", [("who", .ipv4(SPOPIPv4Address(10, 0, 0, 1))), ("", SPOPTypedData(string: "a\"b"))]),
                ])
            #expect(try await client.expectAck().actions.count == 1)
            try await client.send { $0.writeSPOPDisconnect(SPOPDisconnect(status: .normal), type: .haproxyDisconnect) }
            #expect(try await client.closesConnection())
        }
        let lines = log.messages
        for expected in [
            "debug: received HAPROXY-HELLO flags=FIN sid=0 fid=0",
            "debug: sent AGENT-HELLO version=2.0 max-frame-size=16380 capabilities=\"pipelining,fragmentation\"",
            "debug: received NOTIFY flags=FIN sid=7 fid=3",
            #"debug: received messages of sid=7 fid=3: work(id=int64 5, spin=int64 0); note(who=ipv4 10.0.0.1, =str "a\x22b")"#,
            "debug: sent ACK sid=7 fid=3 actions: set-var(txn.id, int64 5)",
            "debug: received HAPROXY-DISCONNECT status 0 \"normal\"",
            "debug: sent AGENT-DISCONNECT status 0 \"normal\"",
        ] {
            #expect(lines.contains { $0.hasPrefix(expected) }, "no '\(expected)' in \(lines)")
        }
    }

    @Test func countersOfUnknownNamesAreBounded() async throws {
        try await withAgent(workers: 1) { agent, group in
            let client = try await agent.client(group)
            for batch in 0..<4 {
                let names = (0..<100).map { message("unknown-\(batch)-\($0)") }
                try await client.notify(streamID: UInt64(batch), frameID: 1, names)
                #expect(try await client.expectAck().actions.isEmpty)
            }
            let messages = await agent.statistics().messages
            #expect(messages.count == SPOAStatistics.maxMessageNames + 1)
            #expect(messages["(other)"]?.unhandled == 400 - SPOAStatistics.maxMessageNames)
        }
    }

    @Test func severalMessagesInOneNotifyShareTheAck() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group)
            try await client.notify(
                streamID: 9, frameID: 2,
                [message("work", [("id", .int64(1))]), message("unknown"), message("all-types")])
            let (_, actions) = try await client.expectAck()
            #expect(actions.count == 12)
            #expect(actions.first == SPOPAction(set: "id", scope: .transaction, to: .int64(1)))
        }
    }

    @Test func pipelinedFramesAreAnsweredOutOfOrder() async throws {
        // One worker: the slow handler and the fast ones share the loop; forced yields let the fast ones pass.
        try await withAgent(workers: 1) { agent, group in
            let client = try await agent.client(group)
            try await client.send { buffer in
                // All 25 NOTIFYs in one write: 25 frames in flight on one connection.
                for fid in 1...25 as ClosedRange<UInt64> {
                    // Every handler outlasts a forced-yield slice, so all 25 are in flight together.
                    let spin: Int64 = fid == 1 ? 1_500_000 : 100_000
                    let mark = buffer.beginSPOPFrame(.notify, streamID: 100 + fid, frameID: fid)
                    buffer.writeSPOPMessage(message("work", [("id", .int64(Int64(fid))), ("spin", .int64(spin))]))
                    buffer.finishSPOPFrame(mark)
                }
            }
            var order: [UInt64] = []
            for _ in 1...25 {
                let (frame, actions) = try await client.expectAck()
                #expect(frame.streamID == 100 + frame.frameID)
                #expect(actions == [SPOPAction(set: "id", scope: .transaction, to: .int64(Int64(frame.frameID)))])
                order.append(frame.frameID)
            }
            #expect(Set(order) == Set(1...25))
            #expect(order.last == 1, "the slow frame is answered last: \(order)")
            #expect(await agent.statistics().maxInFlight == 25)
        }
    }

    @Test(arguments: [
        // "GET " read as a length prefix: far above max-frame-size.
        ("an HTTP request", Array("GET / HTTP/1.1\r\n\r\n".utf8), SPOPStatus.frameTooBig),
        ("a NOTIFY before HELLO", [0, 0, 0, 7, 3, 0, 0, 0, 1, 0, 1], .invalidFrame),
        ("a zero length prefix", [0, 0, 0, 0], .invalidFrame),
    ])
    func badInputBeforeHelloIsRefused(_ case: String, bytes: [UInt8], status: SPOPStatus) async throws {
        try await withAgent { agent, group in
            let bad = try await agent.client(group, hello: false)
            try await bad.send(bytes)
            let frame = try await bad.expectFrame()
            #expect(frame.type == .agentDisconnect, "\(`case`)")
            #expect(try SPOPDisconnect(payload: frame.payload).status == status, "\(`case`)")
            #expect(try await bad.closesConnection(), "\(`case`)")
        }
    }

    @Test func badFramesCloseOnlyTheirConnection() async throws {
        try await withAgent(workers: 1) { agent, group in
            let good = try await agent.client(group)
            let bads: [([UInt8], SPOPStatus)] = [
                // Unknown frame type 9.
                ([0, 0, 0, 7, 9, 0, 0, 0, 1, 0, 0], .invalidFrame),
                // NOTIFY whose stream-id varint is cut: 0xF0 announces more bytes.
                ([0, 0, 0, 7, 3, 0, 0, 0, 1, 0xF0, 0xF0], .invalidFrame),
                // NOTIFY whose message announces one argument and carries none.
                ([0, 0, 0, 11, 3, 0, 0, 0, 1, 1, 1, 2, 0x61, 0x62, 1], .invalidFrame),
                // A second HELLO.
                (helloBytes(), .invalidFrame),
                // Larger than the negotiated 16380 bytes.
                ([0, 0, 0x40, 0, 3], .frameTooBig),
            ]
            for (bytes, status) in bads {
                let bad = try await agent.client(group)
                try await bad.send(bytes)
                let frame = try await bad.expectFrame()
                #expect(frame.type == .agentDisconnect)
                #expect(try SPOPDisconnect(payload: frame.payload).status == status)
                #expect(try await bad.closesConnection())
                // The other connection of the same worker is undisturbed.
                try await good.notify(streamID: 1, frameID: 1, [message("work", [("id", .int64(8))])])
                #expect(try await good.expectAck().actions.count == 1)
            }
            #expect(await agent.statistics().protocolErrors == bads.count)
        }
    }

    @Test func haproxyDisconnectIsAnswered() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group)
            try await client.send { $0.writeSPOPDisconnect(SPOPDisconnect(status: .normal), type: .haproxyDisconnect) }
            let frame = try await client.expectFrame()
            #expect(frame.type == .agentDisconnect)
            #expect(try SPOPDisconnect(payload: frame.payload).status == .normal)
            #expect(try await client.closesConnection())
        }
    }

    @Test func fragmentedNotifyIsReassembled() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group)
            var payload = ByteBuffer()
            payload.writeSPOPMessage(message("echo-args", [("raw", .binary(ByteBuffer(repeating: 0xAB, count: 3000)))]))
            let bytes = Array(payload.readableBytesView)
            try await client.send { buffer in
                for (index, start) in stride(from: 0, to: bytes.count, by: 1000).enumerated() {
                    let last = start + 1000 >= bytes.count
                    let mark = buffer.beginSPOPFrame(
                        index == 0 ? .notify : .unset, flags: last ? .fin : [], streamID: 5, frameID: 6)
                    buffer.writeBytes(bytes[start..<min(start + 1000, bytes.count)])
                    buffer.finishSPOPFrame(mark)
                }
            }
            let vars = setVars(try await client.expectAck().actions)
            #expect(vars["txn.raw"] == .binary(ByteBuffer(repeating: 0xAB, count: 3000)))
        }
    }

    @Test func gracefulShutdownFinishesInFlightFramesThenDisconnects() async throws {
        try await withAgent(workers: 1) { agent, group in
            let client = try await agent.client(group)
            let idle = try await agent.client(group)
            try await client.notify(
                streamID: 1, frameID: 1, [message("work", [("id", .int64(42)), ("spin", .int64(2_000_000))])])
            // Let the frame arrive, then stop the agent while its handler still runs.
            try await Task.sleep(for: .milliseconds(20))
            async let stopped: Void = agent.shutdown()
            let (frame, actions) = try await client.expectAck()
            #expect(frame.frameID == 1 && actions.count == 1)
            for connection in [client, idle] {
                let last = try await connection.expectFrame()
                #expect(last.type == .agentDisconnect)
                #expect(try SPOPDisconnect(payload: last.payload).status == .normal)
                #expect(try await connection.closesConnection())
            }
            await stopped
        }
    }

    @Test func listensOnUnixSockets() async throws {
        let path = "/tmp/tidegate-spoa-test-\(UInt32.random(in: 0...UInt32.max)).sock"
        try await withAgent(listen: [.unix(path: path)]) { agent, group in
            let client = try await SPOPTestClient.connect(to: try SocketAddress(unixDomainSocketPath: path), group: group)
            try await client.hello()
            try await client.notify(streamID: 1, frameID: 1, [message("work", [("id", .int64(3))])])
            #expect(try await client.expectAck().actions.count == 1)
        }
    }
}

/// A HAPROXY-HELLO frame's bytes.
private func helloBytes() -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeSPOPHAProxyHello(SPOPHAProxyHello())
    return Array(buffer.readableBytesView)
}
