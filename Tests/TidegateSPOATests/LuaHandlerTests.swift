import Foundation
import NIOCore
import SPOP
import TidegateLua
import Testing

@testable import TidegateSPOA

/// The `spoa` Lua module through the agent: argument mapping, every set-var type, range checks, and the limits
/// that cut off a bad handler with an empty ACK.
@Suite struct LuaHandlerTests {
    @Test func everyVariableTypeIsSent() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("all-types")])
            let (_, actions) = try await client.expectAck()
            #expect(actions == allTypesActions(uint64: UInt64(Int64.max)))
        }
    }

    @Test func argumentsReachLuaWithTheirTypes() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group)
            let ipv6 = SPOPIPv6Address(high: 0x2001_0db8_0000_0000, low: 0x0000_0000_0000_0042)
            try await client.notify(
                streamID: 0, frameID: 1,
                [
                    message(
                        "echo-args",
                        [
                            ("null", .null), ("t", .bool(true)), ("f", .bool(false)), ("i32", .int32(-7)),
                            ("u32", .uint32(.max)), ("i64", .int64(.min)), ("i64neg", .int64(-1)),
                            ("u64big", .uint64(.max)), ("u64", .uint64(12)),
                            ("ip4", .ipv4(SPOPIPv4Address(127, 0, 0, 1))), ("ip6", .ipv6(ipv6)),
                            ("s", SPOPTypedData(string: "GET")), ("", SPOPTypedData(string: "unnamed")),
                            ("raw", SPOPTypedData(binary: [0, 0xFF, 0x0A, 0])),
                        ]),
                ])
            let vars = setVars(try await client.expectAck().actions)
            let expected: [String: String] = [
                "01:null": "nil:nil", "02:t": "boolean:true", "03:f": "boolean:false", "04:i32": "integer:-7",
                "05:u32": "integer:4294967295", "06:i64": "integer:-9223372036854775808", "07:i64neg": "integer:-1",
                "08:u64big": "float:1.844674407371e+19", "09:u64": "integer:12", "10:ip4": "string:127.0.0.1",
                "11:ip6": "string:2001:db8::42", "12:s": "string:GET", "13:": "string:unnamed",
                "14:raw": "string:\u{0}\u{FF}\n\u{0}",
            ]
            for (name, text) in expected where name != "14:raw" {
                #expect(vars["txn." + name]?.text == text, "\(name)")
            }
            // Binary values stay bytes, byte for byte.
            #expect(vars["txn.raw"] == SPOPTypedData(binary: [0, 0xFF, 0x0A, 0]))
            #expect(vars.count == expected.count + 1)
        }
    }

    @Test func rangeAndTypeChecksRaiseLuaErrors() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("checks")])
            let vars = setVars(try await client.expectAck().actions).compactMapValues(\.text)
            #expect(vars["txn.int32"]?.contains("integer 2147483648 out of range for 'int32'") == true)
            #expect(vars["txn.uint32"]?.contains("integer -1 out of range for 'uint32'") == true)
            #expect(vars["txn.uint64"]?.contains("integer -1 out of range for 'uint64'") == true)
            #expect(vars["txn.ipv4"]?.contains("invalid IPv4 address '300.1.1.1'") == true)
            #expect(vars["txn.ipv6"]?.contains("invalid IPv6 address '1:::2'") == true)
            #expect(vars["txn.scope"]?.contains("unknown scope 9") == true)
            #expect(vars["txn.boolean"]?.contains("boolean expected, got number") == true)
            #expect(vars["txn.arity"]?.contains("'set_var_int32' needs 3 arguments") == true)
        }
    }

    @Test func failingHandlerGetsAnEmptyAck() async throws {
        try await withAgent { agent, group in
            let client = try await agent.client(group)
            // The action set before the error is dropped too: the whole frame is answered empty.
            try await client.notify(streamID: 1, frameID: 1, [message("fails")])
            #expect(try await client.expectAck().actions.isEmpty)
            try await client.notify(streamID: 2, frameID: 1, [message("work", [("id", .int64(2))])])
            #expect(try await client.expectAck().actions.count == 1)
            let statistics = await agent.statistics()
            #expect(statistics.messages["fails"]?.errors == 1)
            #expect(statistics.emptyAcksAfterError == 1)
        }
    }

    @Test func runawayHandlerIsCutOffWhileOthersAreServed() async throws {
        // One worker: the runaway handler and the other connection share the loop.
        let limits = SPOAConfiguration.Limits(handlerTimeout: .milliseconds(500), luaMaxMemory: 32 << 20)
        try await withAgent(workers: 1, limits: limits) { agent, group in
            let stuck = try await agent.client(group)
            let other = try await agent.client(group)
            try await stuck.notify(streamID: 1, frameID: 1, [message("runaway")])
            try await Task.sleep(for: .milliseconds(30))
            try await other.notify(streamID: 2, frameID: 1, [message("work", [("id", .int64(2))])])
            // Forced yields give the loop back: the other connection is answered while the runaway still runs.
            #expect(try await other.expectAck().actions.count == 1)
            await #expect(throws: HarnessError.self, "the runaway was answered first") {
                try await stuck.nextFrame(timeout: .zero)
            }
            let (frame, actions) = try await stuck.expectAck(timeout: .seconds(10))
            #expect(frame.streamID == 1 && actions.isEmpty)
            #expect(await agent.statistics().messages["runaway"]?.timeouts == 1)
            // The worker's Lua state still works.
            try await stuck.notify(streamID: 3, frameID: 1, [message("work", [("id", .int64(3))])])
            #expect(try await stuck.expectAck().actions.count == 1)
        }
    }

    @Test func memoryHogIsCutOff() async throws {
        try await withAgent(workers: 1) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("hog-memory")])
            #expect(try await client.expectAck(timeout: .seconds(10)).actions.isEmpty)
            try await client.notify(streamID: 2, frameID: 1, [message("all-types")])
            #expect(try await client.expectAck().actions.count == 11)
            let counters = await agent.statistics().messages["hog-memory"]
            #expect(counters?.errors == 1 || counters?.timeouts == 1)
        }
    }

    @Test func setVarOutsideAHandlerIsAnError() async throws {
        let script = try temporaryScript(
            """
            local ok, message = pcall(spoa.set_var_int32, "x", spoa.scope.txn, 1)
            spoa.register_message("load-error", function() spoa.set_var_str("e", spoa.scope.txn, message) end)
            """)
        try await withAgent(scripts: [script]) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("load-error")])
            let vars = setVars(try await client.expectAck().actions)
            #expect(vars["txn.e"]?.text?.contains("'set_var_int32' may only be called by a message handler") == true)
        }
    }

    @Test func brokenScriptsFailTheStart() async throws {
        let syntax = try temporaryScript("spoa.register_message(")
        await #expect(throws: (any Error).self) { try await withAgent(scripts: [syntax]) { _, _ in } }
        await #expect(throws: SPOAScriptError.self) { try await withAgent(scripts: ["/tmp/x.rb"]) { _, _ in } }
        await #expect(throws: (any Error).self) { try await withAgent(scripts: ["/nonexistent.lua"]) { _, _ in } }
    }
}

/// Writes a script to a temporary file and returns its path.
func temporaryScript(_ text: String, extension ext: String = "lua") throws -> String {
    let path = "/tmp/tidegate-spoa-test-\(UInt32.random(in: 0...UInt32.max)).\(ext)"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Precompiled scripts (`.luac`) load like source ones.
@Suite struct PrecompiledScriptTests {
    @Test func luacScriptsLoad() async throws {
        // Compile with the engine itself (no luac binary needed): string.dump of the loaded chunk.
        let state = try LuaState()
        let source = #"spoa.register_message("compiled", function() spoa.set_var_int32("v", spoa.scope.txn, 7) end)"#
        let dumped = try state.run(chunk: "return string.dump(load(...))", name: "dump", arguments: [LuaValue(source)])
        guard case .string(let bytecode)? = dumped.first else {
            Issue.record("no bytecode: \(dumped)")
            return
        }
        #expect(bytecode.first == 0x1B)
        let path = "/tmp/tidegate-spoa-test-\(UInt32.random(in: 0...UInt32.max)).luac"
        try Data(bytecode).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withAgent(scripts: [path]) { agent, group in
            let client = try await agent.client(group)
            try await client.notify(streamID: 1, frameID: 1, [message("compiled")])
            #expect(try await client.expectAck().actions == [SPOPAction(set: "v", scope: .transaction, to: .int32(7))])
        }
    }
}
