import TidegateCore
import TidegateLuaAPI
import Testing

@Suite struct LuaTransactionTests {
    @Test func booleanSamplesDefaultToHAProxysIntegerConversion() {
        // HAProxy's default for tune.lua.bool-sample-conversion is "pre-3.1-bug": booleans reach Lua as 0/1.
        #expect(LuaAPIOptions().booleanSamples == false)
        let transaction = LuaTransaction(
            samples: SampleContext(frontendName: "fe"), isHTTP: true, context: .action(.httpRequest), log: { _, _ in })
        #expect(transaction.priv == .nil)
        #expect(transaction.ending == nil)
    }
}
