import NIOCore
import SPOP
import Testing

@testable import TidegateSPOA

/// The `spoa` Python module through the agent (Debian's CPython 3): argument mapping, every set-var type,
/// exceptions, timeouts, and several handler threads sharing the GIL.
@Suite struct PythonHandlerTests {
    static let script = Fixtures.path("agent_handlers.py")

    @Test func everyVariableTypeIsSent() async throws {
        try await withAgent(scripts: [Self.script]) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("all-types")])
            let (_, actions) = try await client.expectAck()
            #expect(actions == allTypesActions(uint64: .max))
        }
    }

    @Test func argumentsReachPythonWithTheirTypes() async throws {
        try await withAgent(scripts: [Self.script]) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(
                streamID: 0, frameID: 1,
                [
                    message(
                        "echo-args",
                        [
                            ("null", .null), ("t", .bool(true)), ("i32", .int32(-7)), ("u64", .uint64(.max)),
                            ("i64", .int64(.min)), ("ip4", .ipv4(SPOPIPv4Address(127, 0, 0, 1))),
                            ("ip6", .ipv6(SPOPIPv6Address(high: 0, low: 1))), ("s", SPOPTypedData(string: "GET")),
                            ("bad-utf8", .string(ByteBuffer(bytes: [0x61, 0xFF]))),
                            ("raw", SPOPTypedData(binary: [0, 0xFF])),
                        ]),
                ])
            let actions = setVars(try await client.expectAck().actions)
            let vars = actions.compactMapValues(\.text)
            #expect(
                vars.filter { $0.key != "txn.09:bad-utf8" } == [
                    "txn.01:null": "NoneType:None", "txn.02:t": "bool:True", "txn.03:i32": "int:-7",
                    "txn.04:u64": "int:18446744073709551615", "txn.05:i64": "int:-9223372036854775808",
                    "txn.06:ip4": "IPv4Address:127.0.0.1", "txn.07:ip6": "IPv6Address:::1", "txn.08:s": "str:GET",
                    "txn.10:raw": "bytes:00ff",
                ])
            // A STRING that is not UTF-8 arrives as a str with surrogate escapes and goes back byte for byte.
            #expect(actions["txn.09:bad-utf8"] == .string(ByteBuffer(bytes: Array("str:a".utf8) + [0xFF])))
        }
    }

    @Test func argumentAndRangeChecksRaise() async throws {
        try await withAgent(scripts: [Self.script]) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("checks")])
            let vars = setVars(try await client.expectAck().actions).compactMapValues(\.text)
            #expect(vars["txn.int32"] == "OverflowError: set_var_int32() integer 2147483648 out of range for 'int32'")
            #expect(vars["txn.uint32"] == "OverflowError: set_var_uint32() integer -1 out of range for 'uint32'")
            #expect(
                vars["txn.uint64"]
                    == "OverflowError: set_var_uint64() integer 18446744073709551616 out of range for 'uint64'")
            #expect(vars["txn.ipv4"] == "TypeError: set_var_ipv4() value must be 'IPv4Address', not 'IPv6Address'")
            #expect(vars["txn.ipv4text"] == "ok")
            #expect(vars["txn.scope"] == "ValueError: set_var_str() unknown scope 9 (use spoa.scope_*)")
            #expect(vars["txn.boolean"] == "TypeError: set_var_boolean() value must be bool, not str")
            #expect(vars["txn.arity"] == "TypeError: set_var_int32() takes exactly 3 arguments (2 given)")
            #expect(
                vars["txn.register"]
                    == "RuntimeError: spoa.register_message() may only be called while a script loads")
        }
    }

    @Test func exceptionIsLoggedWithTracebackAndAnsweredEmpty() async throws {
        let log = LogRecorder()
        try await withAgent(scripts: [Self.script], log: log) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("fails")])
            #expect(try await client.expectAck().actions.isEmpty)
            let logged = log.messages.filter { $0.contains("'fails'") }
            #expect(logged.count == 1)
            #expect(logged.first?.contains("Traceback (most recent call last)") == true, "\(logged)")
            #expect(logged.first?.contains("ValueError: boom") == true, "\(logged)")
            #expect(logged.first?.contains("agent_handlers.py\", line") == true, "\(logged)")
            // Module-level code could not set variables: no handler was running.
            try await client.notify(streamID: 2, frameID: 1, [message("load-error")])
            let vars = setVars(try await client.expectAck().actions)
            #expect(vars["txn.e"]?.text == "spoa.set_var_int32() may only be called by a message handler")
        }
    }

    @Test func runawayHandlerIsInterrupted() async throws {
        try await withAgent(workers: 1, scripts: [Self.script]) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("runaway")])
            let (frame, actions) = try await client.expectAck(timeout: .seconds(5))
            #expect(frame.frameID == 1 && actions.isEmpty)
            // The handler thread was freed by the TimeoutError: the next call runs.
            try await client.notify(streamID: 2, frameID: 1, [message("py-work", [("id", .int64(2))])])
            #expect(try await client.expectAck(timeout: .seconds(5)).actions.count == 1)
            #expect(await agent.statistics().messages["runaway"]?.timeouts == 1)
        }
    }

    @Test func handlerThreadsShareTheGIL() async throws {
        // Four workers, four handler threads: eight handlers sleeping 1 s (the GIL is released while they
        // sleep) take about two rounds (2 s), not eight (8 s). The margin between the two absorbs a loaded machine.
        let limits = SPOAConfiguration.Limits(handlerTimeout: .seconds(4), luaMaxMemory: 32 << 20)
        try await withAgent(workers: 4, scripts: [Self.script], limits: limits) { agent, group in
            var clients: [SPOPTestClient] = []
            for _ in 0..<4 { clients.append(try await agent.client(group)) }
            let clock = ContinuousClock()
            let started = clock.now
            for (index, client) in clients.enumerated() {
                for frame in 1...2 as ClosedRange<UInt64> {
                    try await client.notify(
                        streamID: UInt64(index), frameID: frame,
                        [message("sleeps", [("id", .int64(Int64(index))), ("ms", .int64(1000))])])
                }
            }
            for (index, client) in clients.enumerated() {
                for _ in 1...2 {
                    let (_, actions) = try await client.expectAck()
                    #expect(actions == [SPOPAction(set: "id", scope: .transaction, to: .int64(Int64(index)))])
                }
            }
            #expect(clock.now - started < .seconds(5), "\(clock.now - started)")
        }
    }

    @Test func luaAndPythonScriptsTogether() async throws {
        try await withAgent(scripts: [Fixtures.path("agent_handlers.lua"), Self.script]) { agent, group in
            let client = try await agent.client(group)
            // Lua's "work" and Python's "py-work" in one NOTIFY; "all-types" is registered by both: the
            // script loaded last (Python) wins.
            try await client.notify(
                streamID: 1, frameID: 1,
                [message("work", [("id", .int64(1))]), message("py-work", [("id", .int64(2))]), message("all-types")])
            let (_, actions) = try await client.expectAck()
            #expect(actions.count == 13)
            #expect(setVars(actions)["txn.uint64"] == .uint64(.max), "Python's all-types sets uint64 max")
        }
    }

    @Test func brokenPythonScriptFailsTheStart() async throws {
        let broken = try temporaryScript("import spoa\nspoa.register_message(\n", extension: "py")
        let error = await #expect(throws: SPOAScriptError.self) {
            try await withAgent(scripts: [broken]) { _, _ in }
        }
        #expect(error?.message.contains("SyntaxError") == true, "\(String(describing: error))")
    }
}
