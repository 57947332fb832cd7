import NIOCore
import Testing
import TidegateConfig
import TidegateCore
import TidegateLua
import TidegateLuaAPI

@Suite struct TXNVariableTests {
    @Test func setVarAndGetVarRoundTripEveryType() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            """
            local a = txn:set_var("txn.s", "text")
            txn:set_var("txn.i", 42)
            txn:set_var("txn.f", 3.0)
            txn:set_var("txn.b", true)
            return a, txn:get_var("txn.s"), txn:get_var("txn.i"), txn:get_var("txn.f"), txn:get_var("txn.b"),
                txn:get_var("txn.none")
            """)
        #expect(values == [true, "text", 42, 3, 1, .nil])
        let name = VariableName(scope: .transaction, name: "s")
        #expect(harness.samples.variable(name) == .string("text"))
        #expect(harness.samples.variable(VariableName(scope: .transaction, name: "b")) == .bool(true))
    }

    @Test func booleansComeBackAsBooleansWithTheNormalConversion() throws {
        let harness = try TXNHarness(options: LuaAPIOptions(booleanSamples: true))
        let values = try harness.run("txn:set_var('req.b', false) return txn:get_var('req.b')")
        #expect(values == [false])
    }

    @Test func scopesReachTheSampleContext() throws {
        let harness = try TXNHarness()
        try harness.run(
            """
            txn:set_var("sess.a", "1") txn:set_var("req.b", "2") txn:set_var("res.c", "3")
            txn:set_var("proc.d", "4")
            """)
        #expect(harness.samples.variable(VariableName(scope: .session, name: "a")) == .string("1"))
        #expect(harness.samples.variable(VariableName(scope: .request, name: "b")) == .string("2"))
        #expect(harness.samples.variable(VariableName(scope: .response, name: "c")) == .string("3"))
        #expect(harness.samples.variable(VariableName(scope: .process, name: "d")) == .string("4"))
        // Values set by configuration rules are visible from Lua.
        harness.samples.setVariable(VariableName(scope: .transaction, name: "fromrule"), to: .sint(7))
        #expect(try harness.run("return txn:get_var('txn.fromrule')") == [7])
    }

    @Test func nilAndTablesAreStoredAsFalseLikeHAProxy() throws {
        let harness = try TXNHarness()
        try harness.run("txn:set_var('txn.n', nil) txn:set_var('txn.t', {})")
        #expect(harness.samples.variable(VariableName(scope: .transaction, name: "n")) == .bool(false))
        #expect(harness.samples.variable(VariableName(scope: .transaction, name: "t")) == .bool(false))
    }

    @Test func invalidNamesGiveFalseAndNil() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            "return txn:set_var('bogus.x', 1), txn:set_var('nodot', 1), txn:get_var('bad.y'), txn:unset_var('x')")
        #expect(values == [false, false, .nil, false])
    }

    @Test func ifExistOnlyReplacesExistingVariables() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            """
            local first = txn:set_var("txn.x", "a", true)
            txn:set_var("txn.y", "a")
            local second = txn:set_var("txn.y", "b", true)
            return first, second, txn:get_var("txn.x"), txn:get_var("txn.y")
            """)
        #expect(values == [false, true, .nil, "b"])
    }

    @Test func unsetVarRemovesTheVariable() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            "txn:set_var('txn.u', 1) local r = txn:unset_var('txn.u') return r, txn:get_var('txn.u')")
        #expect(values == [true, .nil])
        #expect(harness.samples.variable(VariableName(scope: .transaction, name: "u")) == nil)
    }

    @Test func arityErrorsUseHAProxysMessages() throws {
        let harness = try TXNHarness()
        #expect(
            try harness.error("txn:set_var('txn.x')")?.hasSuffix("'set_var' needs between 3 and 4 arguments") == true)
        #expect(try harness.error("txn:get_var()")?.hasSuffix("'get_var' needs 2 arguments") == true)
        #expect(try harness.error("txn:get_var({})")?.contains("string expected, got table") == true)
    }
}
