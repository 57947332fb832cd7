import NIOCore
import Testing
import TidegateCore
import TidegateLua
import TidegateLuaAPI

@Suite struct TXNChannelTests {
    @Test func httpModeAllowsOnlyTheStateMethods() throws {
        let harness = try TXNHarness()
        harness.samples.requestBufferLength = 12
        let values = try harness.run(
            "return txn.req:input(), txn.req:output(), txn.req:is_full(), txn.req:is_resp(), txn.res:is_resp()")
        #expect(values == [12, 0, false, false, true])
        for call in ["txn.req:data()", "txn.req:append('x')", "txn.res:send('x')", "txn.req:forward(1)"] {
            #expect(
                try harness.error(call)?.contains("Cannot manipulate HAProxy channels in HTTP mode.") == true, "\(call)"
            )
        }
    }

    @Test func tcpModeReadsAndRewritesTheInput() throws {
        let harness = try TXNHarness(request: nil, isHTTP: false, context: .action(.tcpRequest))
        let buffer = LuaChannelBuffer(input: ByteBuffer(string: "hello\nworld"))
        harness.transaction.requestChannel = buffer
        let values = try harness.run(
            """
            local line = txn.req:line()
            local all = txn.req:data()
            local tail = txn.req:data(-5)
            local part = txn.req:data(1, 3)
            local ins = txn.req:insert("[", 0)
            local app = txn.req:append("]")
            local set = txn.req:set("WORLD", 7, 5)
            return line, all, tail, part, ins, app, set, txn.req:input()
            """)
        #expect(values == ["hello\n", "hello\nworld", "world", "ell", 1, 1, 5, 13])
        #expect(String(buffer: buffer.input) == "[hello\nWORLD]")
        let moved = try harness.run(
            """
            local r = txn.req:remove(0, 1) local f = txn.req:forward(6) local s = txn.req:send('!')
            return r, f, s, txn.req:output()
            """)
        #expect(moved == [1, 6, 1, 7])
        #expect(String(buffer: buffer.output) == "hello\n!")
        #expect(String(buffer: buffer.input) == "WORLD]")
        #expect(try harness.error("txn.req:data(99)")?.contains("offset out of range") == true)
    }

    @Test func closedEmptyChannelsGiveNilAndFullOnesRefuseData() throws {
        let harness = try TXNHarness(request: nil, isHTTP: false, context: .action(.tcpRequest))
        harness.transaction.requestChannel = LuaChannelBuffer(input: ByteBuffer(), inputEnded: true)
        harness.transaction.responseChannel = LuaChannelBuffer(input: ByteBuffer(string: "abcd"), capacity: 4)
        let values = try harness.run(
            """
            return txn.req:data(), txn.req:may_recv(), txn.res:is_full(), txn.res:append('x'), txn.res:get(),
                txn.res:get_in_len()
            """)
        #expect(values == [.nil, false, true, -1, "abcd", 0])
    }
}
