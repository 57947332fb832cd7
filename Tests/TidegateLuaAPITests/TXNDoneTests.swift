import NIOCore
import Testing
import TidegateCore
import TidegateLua
import TidegateLuaAPI

@Suite struct TXNDoneTests {
    @Test func doneWithoutReplyEndsSilently() throws {
        let harness = try TXNHarness()
        let message = try harness.error("txn:done() error('not reached')")
        #expect(message?.hasSuffix(LuaTransaction.doneMarker) == true)
        guard case .silent? = harness.transaction.ending else {
            Issue.record("expected a silent ending, got \(String(describing: harness.transaction.ending))")
            return
        }
    }

    @Test func doneWithAReplySendsItsBytes() throws {
        let harness = try TXNHarness()
        let message = try harness.error(
            """
            local reply = txn:reply({ status = 403, reason = "ignored", headers = { ["X-A"] = "1" }, body = "no" })
            reply:add_header("x-b", "2")
            reply:add_header("x-b", "3")
            reply:add_header("content-length", "99")
            txn:done(reply)
            """)
        #expect(message?.hasSuffix(LuaTransaction.doneMarker) == true)
        guard case .reply(.raw(let status, let bytes, _))? = harness.transaction.ending else {
            Issue.record("expected a reply, got \(String(describing: harness.transaction.ending))")
            return
        }
        #expect(status == 403)
        #expect(
            String(buffer: bytes)
                == "HTTP/1.1 403 Forbidden\r\nX-A: 1\r\nx-b: 2\r\nx-b: 3\r\ncontent-length: 2\r\n\r\nno")
    }

    @Test func replyFieldsAndMethods() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            """
            local r = txn:reply()
            local a = r.status, r.reason, r.body
            local bad = r:set_status(99)
            local ok = r:set_status(201, "Made")
            r:set_body("b")
            r:add_header("h", "v")
            r:del_header("h")
            return r.status, r.reason, r.body, r.headers["h"], bad, ok, txn:reply{status = 404}.reason
            """)
        #expect(values == [201, "Made", "b", .nil, false, true, "Not Found"])
        let bad = try harness.error("txn:reply():set_status('x')")
        #expect(bad?.hasSuffix("bad argument #2 to 'set_status' (number expected, got string)") == true)
        #expect(try harness.run("return txn:reply():set_status('302')") == [true])
        let headers = try harness.error("local r = txn:reply() r.headers = 1 r:add_header('a', 'b')")
        #expect(headers?.hasSuffix("Reply['headers'] is expected to a an array. number found") == true)
    }

    @Test func chunkedRepliesAreEncoded() {
        let reply = LuaTable(hash: [
            "status": 200, "body": "hello",
            "headers": .table(LuaTable(hash: ["transfer-encoding": .table(LuaTable(array: ["chunked"]))])),
        ])
        guard case .raw(_, let bytes, _) = LuaReply.localResponse(reply, httpVersionMinor: 0) else {
            Issue.record("expected raw bytes")
            return
        }
        #expect(String(buffer: bytes) == "HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    }

    @Test func replyNeedsHTTP() throws {
        let harness = try TXNHarness(isHTTP: false, context: .action(.tcpRequest))
        #expect(try harness.error("txn:reply()")?.contains("txn object is not an HTTP transaction.") == true)
        _ = try harness.error("txn:done({status = 200})")
        guard case .silent? = harness.transaction.ending else {
            Issue.record("TCP done must end silently")
            return
        }
    }

    @Test func doneInAFetchOnlyStopsTheCode() throws {
        let harness = try TXNHarness(context: .fetch)
        #expect(try harness.error("txn:done()")?.hasSuffix(LuaTransaction.doneMarker) == true)
        #expect(harness.transaction.ending == nil)
    }

    @Test func privKeepsTheSameTableAcrossCalls() throws {
        let harness = try TXNHarness()
        try harness.run("txn:set_priv({ count = 1 })")
        try harness.run("local p = txn:get_priv() p.count = p.count + 1")
        #expect(try harness.run("return txn:get_priv().count") == [2])
        #expect(try harness.error("txn:set_priv()")?.hasSuffix("'set_priv' needs 2 arguments") == true)
    }

    @Test func logsGoToTheTransaction() throws {
        let harness = try TXNHarness()
        try harness.run(
            """
            txn:log(core.err, "e") txn:Debug("d") txn:Info("i") txn:Warning("w") txn:Alert("a")
            txn:deflog("x")
            txn:set_loglevel(core.notice)
            txn:deflog("y\\1")
            """)
        let entries = harness.logBox.entries.map { "\($0.level):\($0.message)" }
        #expect(entries == ["3:e", "7:d", "6:i", "4:w", "1:a", "6:x", "5:y."])
        #expect(try harness.error("txn:log(9, 'x')")?.contains("Invalid loglevel.") == true)
        #expect(try harness.error("txn:set_loglevel(8)")?.contains("Bad log level") == true)
        try harness.run("txn:set_loglevel(core.silent)")
        #expect(harness.transaction.logLevel == -1)
        #expect(harness.samples.logSilenced)
        try harness.run("txn:set_priority_class(5000) txn:set_priority_offset(-10)")
    }

    @Test func objectsAreInvalidAfterTheTransactionEnds() throws {
        let harness = try TXNHarness()
        let keep = try harness.state.load(
            chunk: "local txn = ... kept = { txn = txn, sf = txn.sf, http = txn.http }", name: "keep")
        let handle = try LuaTXNBindings.txn(for: harness.transaction, in: harness.state)
        _ = try keep.call([.object(handle)])
        #expect(harness.transaction.objects.count == 3)
        #expect(try LuaTXNBindings.txn(for: harness.transaction, in: harness.state) == handle)
        harness.transaction.releaseObjects()
        #expect(harness.state.isValid(handle) == false)
        for call in ["kept.txn:set_var('txn.x', 1)", "kept.sf:req_hdr('host')", "kept.http:req_get_headers()"] {
            do {
                _ = try harness.state.run(chunk: call, name: "after")
                Issue.record("\(call) must fail")
            } catch {
                #expect(error.message.contains("object is no longer valid"), "\(call): \(error.message)")
            }
        }
        #expect(harness.state.liveObjectCount == 0)
    }

    @Test func actConstantsAndWakeTime() throws {
        let harness = try TXNHarness()
        let codes = try harness.run(
            "return act.CONTINUE, act.STOP, act.YIELD, act.ERROR, act.DONE, act.DENY, act.ABORT, act.INVALID")
        #expect(codes == [0, 1, 2, 3, 4, 5, 6, 7])
        try LuaTXNBindings.setCurrent(harness.transaction, in: harness.state)
        try harness.run("act.wake_time(250)")
        #expect(harness.transaction.wakeTime == 250)
        #expect(try harness.error("act:wake_time(10)")?.hasSuffix("'wake_time' needs 1 arguments") == true)
        try LuaTXNBindings.setCurrent(nil, in: harness.state)
        try harness.run("act.wake_time(5)")
        #expect(harness.transaction.wakeTime == 250)
    }
}
