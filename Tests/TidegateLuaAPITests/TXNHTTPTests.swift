import NIOCore
import Testing
import TidegateCore
import TidegateLua
import TidegateLuaAPI

@Suite struct TXNHTTPTests {
    @Test func headersAreZeroIndexedListsPerLowercasedName() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            """
            local h = txn.http:req_get_headers()
            return h["host"][0], h["x-multi"][0], h["x-multi"][1], h["x-multi"][2], h["accept"][0], h["Host"]
            """)
        #expect(values == ["example.com", "one", "two", .nil, "text/html, */*", .nil])
    }

    @Test func headerEditsChangeTheRequestHead() throws {
        let harness = try TXNHarness()
        try harness.run(
            """
            txn.http:req_set_header("X-Multi", "only")
            txn.http:req_add_header("X-Added", "1")
            txn.http:req_add_header("X-Added", "2")
            txn.http:req_del_header("accept")
            """)
        let head = try #require(harness.samples.request)
        #expect(head.fullValues(named: "x-multi") == ["only"])
        #expect(head.fullValues(named: "x-added") == ["1", "2"])
        #expect(head.fullValues(named: "accept") == [])
        #expect(head.firstValue(named: "host") == "example.com")
    }

    @Test func crLfAndNulAreRefusedInNamesAndValues() throws {
        let harness = try TXNHarness()
        let value = try harness.error("txn.http:req_set_header('X-A', 'v\\r\\nInjected: 1')")
        #expect(value?.contains("invalid character in header value") == true)
        let name = try harness.error("txn.http:req_add_header('X\\nB', 'v')")
        #expect(name?.contains("invalid character in header name") == true)
        let nul = try harness.error("txn.http:req_add_header('X-B', 'a\\0b')")
        #expect(nul?.contains("invalid character in header value") == true)
        #expect(try #require(harness.samples.request).fullValues(named: "x-a") == [])
        #expect(harness.requestText.contains("Injected") == false)
    }

    @Test func replaceHeaderAndValueUseTheWholeMatch() throws {
        let harness = try TXNHarness(request: "GET / HTTP/1.1\nHost: example.com\nX-List: a1, b2,c3\nX-Full: abc")
        try harness.run(
            """
            txn.http:req_rep_header("x-full", "b(.)", "<\\\\1>")
            txn.http:req_rep_value("x-list", "^([a-z])2$", "\\\\1-two")
            """)
        let head = try #require(harness.samples.request)
        #expect(head.fullValues(named: "x-full") == ["<c>"])
        #expect(head.fullValues(named: "x-list") == ["a1, b-two,c3"])
        let invalid = try harness.error("txn.http:req_rep_header('x-full', '(', 'x')")
        #expect(invalid?.contains("invalid regex") == true)
    }

    @Test func requestLineSetters() throws {
        let harness = try TXNHarness()
        let values = try harness.run(
            """
            local a = txn.http:req_set_method("POST")
            local b = txn.http:req_set_path("/other")
            local c = txn.http:req_set_query("x=2")
            return a, b, c, txn.f:path(), txn.f:query(), txn.f:method()
            """)
        #expect(values == [true, true, true, "/other", "x=2", "POST"])
        try harness.run("txn.http:req_set_uri('/u?q')")
        #expect(harness.samples.request?.target == "/u?q")
        #expect(try harness.run("return txn.http:req_set_path('/a b')") == [false])
    }

    @Test func arityMessagesUseHAProxysInternalNames() throws {
        let harness = try TXNHarness()
        #expect(try harness.error("txn.http:req_set_header('x')")?.hasSuffix("'req_set_hdr' needs 3 arguments") == true)
        #expect(
            try harness.error("txn.http:req_rep_value('x', 'y')")?.hasSuffix("'req_rep_hdr' needs 4 arguments") == true)
        #expect(
            try harness.error("txn.http:req_get_headers(1)")?.hasSuffix("'req_get_headers' needs 1 arguments") == true)
    }

    @Test func aRequestActionCannotEditTheResponseAndTheReverse() throws {
        let request = try TXNHarness(response: "HTTP/1.1 200 OK\nServer: s")
        #expect(try request.error("txn.http:res_set_header('x', 'y')") != nil)
        #expect(request.samples.response?.fullValues(named: "x") == [])

        let response = try TXNHarness(response: "HTTP/1.1 200 OK\nServer: s", context: .action(.httpResponse))
        #expect(try response.error("txn.http:req_set_header('x', 'y')") != nil)
        try response.run(
            """
            txn.http:res_set_header("Server", "tidegate")
            txn.http:res_set_status(404, "Nope")
            """)
        #expect(response.samples.response?.firstValue(named: "server") == "tidegate")
        #expect(response.samples.response?.status == 404)
        #expect(response.samples.response?.reason == "Nope")
        #expect(try response.run("return txn.http:res_get_headers()['server'][0]") == ["tidegate"])
    }

    @Test func tcpTransactionsHaveNoHTTPObject() throws {
        let harness = try TXNHarness(isHTTP: false, context: .action(.tcpRequest))
        #expect(try harness.run("return txn.http") == [.nil])
    }
}
