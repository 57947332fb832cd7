import NIOCore
import Testing
import TidegateCore
import TidegateLua
import TidegateLuaAPI

@Suite struct TXNFetchTests {
    @Test func fetchesReturnTypedValuesAndNilWhenThereIsNoSample() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            """
            return txn.f:req_hdr("host"), txn.f:req_hdr("x-none"), txn.f:method(), txn.f:path(), txn.f:int("12"),
                txn.f:always_true()
            """)
        #expect(values == ["example.com", .nil, "GET", "/index.html", 12, 1])
    }

    @Test func stringFetchesReturnStringsAndEmptyOnFailure() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            "return txn.sf:req_hdr('host'), txn.sf:req_hdr('x-none'), txn.sf:int('12'), txn.sf:always_true()")
        #expect(values == ["example.com", "", "12", "1"])
    }

    @Test func fetchArgumentsAreCompiledAndCheckedLikeConfiguration() throws {
        let harness = try TXNHarness()
        // hdr(name, occurrence): the first occurrence of a repeated header.
        #expect(
            try harness.run("return txn.f:req_hdr('x-multi', 1), txn.f:req_hdr('x-multi', '-1')") == ["one", "two"])
        let missing = try harness.error("return txn.f:str()")
        #expect(missing?.contains("error in arguments: fetch method 'str' : missing arguments") == true)
        let extra = try harness.error("return txn.f:method('x')")
        #expect(extra?.contains("error in arguments:") == true)
    }

    @Test func unknownKeywordsAreNotMethods() throws {
        let harness = try TXNHarness()
        #expect(try harness.run("return txn.f.no_such_fetch, txn.c.no_such_converter") == [.nil, .nil])
    }

    @Test func convertersTakeTheInputFirst() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            """
            return txn.c:lower("ABC"), txn.c:upper("abc"), txn.c:add(40, "2"), txn.c:field("a,b,c", 2, ","),
                txn.sc:add(1, 1), txn.c:length("abcd")
            """)
        #expect(values == ["abc", "ABC", 42, "b", "2", 4])
    }

    @Test func converterFailuresGiveNilOrEmptyString() throws {
        let harness = try TXNHarness()
        // b64dec of invalid input fails.
        let values = try harness.run("return txn.c:b64dec('***'), txn.sc:b64dec('***')")
        #expect(values == [.nil, ""])
    }

    @Test func keywordsRegisteredLaterAreCallable() throws {
        let harness = try TXNHarness()
        #expect(try harness.run("return txn.f.lua_answer") == [.nil])
        var fetches = SampleFetchRegistry.standard
        fetches.register(SampleFetchDescriptor(name: "lua.answer", outputType: .sint) { _, _ in .sint(42) })
        var converters = SampleConverterRegistry.standard
        converters.register(
            SampleConverterDescriptor(name: "lua.twice", inputType: .sint, outputType: .sint) { input, _, _ in
                guard case .sint(let value) = input else { return nil }
                return .sint(value * 2)
            })
        try LuaTXNBindings.update(fetches: fetches, converters: converters, in: harness.state)
        #expect(
            try harness.run("return txn.f:lua_answer(), txn.c:lua_twice(21), txn.sf:req_hdr('host')") == [
                42, 42, "example.com",
            ])
    }

    @Test func appletFetchesRefuseHTTPKeywords() throws {
        let harness = try TXNHarness()
        let fetches = try LuaTXNBindings.fetches(for: harness.transaction, in: harness.state, stringsOnly: true)
        let function = try harness.state.load(
            chunk: "local f = ... local ok, err = pcall(f.req_hdr, f, 'host') return ok, err, f:int('3')",
            name: "applet")
        let values = try function.call([.object(fetches)])
        #expect(values.first == false)
        #expect(values[1].stringValue?.contains("the sample-fetch 'req.hdr' needs an HTTP parser") == true)
        #expect(values[2] == "3")
        let converters = try LuaTXNBindings.converters(for: harness.transaction, in: harness.state, stringsOnly: false)
        let lower = try harness.state.load(chunk: "local c = ... return c:lower('X')", name: "applet")
        #expect(try lower.call([.object(converters)]) == ["x"])
    }

    @Test func sampleConversionsFollowHAProxy() {
        let options = LuaAPIOptions()
        #expect(Sample.bool(true).luaValue(options: options) == 1)
        #expect(Sample.bool(true).luaValue(options: LuaAPIOptions(booleanSamples: true)) == true)
        #expect(Sample.sint(-3).luaValue(options: options) == -3)
        #expect(Sample.ipv4(IPv4Address("10.1.2.3")!).luaValue(options: options) == "10.1.2.3")
        #expect(Sample.binary([0, 255]).luaValue(options: options) == .string([0, 255]))
        #expect(LuaValue.number(2.0).sample == .sint(2))
        #expect(LuaValue.number(2.5).sample == .sint(0))
        #expect(LuaValue("x").sample == .string("x"))
        #expect(LuaValue.boolean(true).sample == .bool(true))
        #expect(LuaValue.nil.sample == nil)
        #expect(LuaValue.table(LuaTable()).haproxySample == .bool(false))
    }
}
