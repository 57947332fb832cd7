import NIOCore
import NIOPosix
import Testing
import TidegateLua

@testable import TidegateLuaAPI

/// `core.httpclient()` against real local servers.
@Suite struct IOHTTPClientTests {
    @Test func getWithContentLength() async throws {
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(
                group: harness.group,
                behavior: .http("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Multi: one\r\nx-multi: two\r\n\r\nhello"))
            let outcome = try await harness.run(
                function: """
                    local hc = core.httpclient()
                    local res = hc:get{url="http://127.0.0.1:\(server.port)/path?q=1", headers={["X-Test"]={"a", "b"}}}
                    return res.status, res.reason, res.body, res.headers["x-multi"][0], res.headers["x-multi"][1],
                        res.headers["content-length"][0]
                    """)
            #expect(outcome == .values([200, "OK", "hello", "one", "two", "5"]))
            let request = server.allReceived
            #expect(request.hasPrefix("GET /path?q=1 HTTP/1.1\r\n"))
            #expect(request.contains("X-Test: a\r\nX-Test: b\r\n"))
            #expect(request.contains("host: 127.0.0.1:\(server.port)\r\n"))
            try await server.close()
        }
    }

    @Test func postWithChunkedResponse() async throws {
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(
                group: harness.group,
                behavior: .http(
                    "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n"
                        + "Trailer: x\r\n\r\n"))
            let outcome = try await harness.run(
                function: """
                    local res = core.httpclient():post{url="http://127.0.0.1:\(server.port)/submit", body="payload",
                        timeout=1000}
                    return res.status, res.reason, res.body, res.headers["transfer-encoding"][0]
                    """)
            #expect(outcome == .values([201, "Created", "hello world", "chunked"]))
            let request = server.allReceived
            #expect(request.hasPrefix("POST /submit HTTP/1.1\r\n"))
            #expect(request.contains("content-length: 7\r\n"))
            #expect(request.hasSuffix("\r\n\r\npayload"))
            try await server.close()
        }
    }

    @Test func bodyDelimitedByCloseAndHead() async throws {
        try await IOTestHarness.with { harness in
            let closing = try await IOTestServer(
                group: harness.group, behavior: .http("HTTP/1.0 200 Fine\r\nServer: t\r\n\r\nuntil the end"))
            let head = try await IOTestServer(
                group: harness.group, behavior: .http("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"))
            let outcome = try await harness.run(
                function: """
                    local hc = core.httpclient()
                    local a = hc:delete{url="http://127.0.0.1:\(closing.port)"}
                    local b = hc:head{url="http://127.0.0.1:\(head.port)/x"}
                    return a.status, a.reason, a.body, b.status, b.body, b.headers["content-length"][0]
                    """)
            #expect(outcome == .values([200, "Fine", "until the end", 200, "", "100"]))
            #expect(closing.allReceived.hasPrefix("DELETE / HTTP/1.1\r\n"))
            #expect(head.allReceived.hasPrefix("HEAD /x HTTP/1.1\r\n"))
            try await closing.close()
            try await head.close()
        }
    }

    @Test func internalErrorsGiveStatusZero() async throws {
        try await IOTestHarness.with(options: LuaIOOptions(httpClient: .init(retries: 1))) { harness in
            let port = try await IOTestServer.closedPort(group: harness.group)
            let silent = try await IOTestServer(group: harness.group, behavior: .silent)
            let outcome = try await harness.run(
                function: """
                    local hc = core.httpclient()
                    local refused = hc:get{url="http://127.0.0.1:\(port)/"}
                    local tls = hc:get{url="https://127.0.0.1:\(port)/"}
                    local bad = hc:get{url="ftp://x/"}
                    local slow = hc:put{url="http://127.0.0.1:\(silent.port)/", body="x", timeout=150}
                    return refused.status, refused.reason, tls.status, tls.reason, bad.status, bad.reason,
                        slow.status, slow.reason, refused.body, next(refused.headers)
                    """)
            #expect(
                outcome
                    == .values([
                        0, "connection refused", 0, "https is disabled (no CA file could be loaded)", 0, "invalid URL", 0, "timeout",
                        "", nil,
                    ]))
            try await silent.close()
        }
    }

    @Test func requestTableErrors() async throws {
        try await IOTestHarness.with { harness in
            let outcome = try await harness.run(
                function: """
                    local hc = core.httpclient()
                    local function err(...) return select(2, pcall(...)) end
                    return err(hc.get, hc, "http://x/"), err(hc.get, hc, {url="http://x/", nope=1}),
                        err(hc.post, hc, {headers={}}), err(hc.get, hc, {url=1}),
                        err(hc.get, hc, {url="http://x/", body={}}),
                        err(hc.get, hc, {url="http://x/", dst="a b"})
                    """)
            let texts = outcome.values.map { $0.stringValue ?? "\($0)" }
            let expected = [
                "'get' needs a table as argument", "'nope' invalid parameter name", "'get' need a 'url' argument",
                "invalid parameter in 'url', must be a string", "invalid parameter in 'body', must be a string",
                "Can't use the 'dst' argument",
            ]
            #expect(texts.count == expected.count, "\(outcome)")
            for (text, suffix) in zip(texts, expected) {
                #expect(text.hasSuffix(suffix), "\(text)")
            }
        }
    }

    @Test func destinationOverridesTheURLHost() async throws {
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(
                group: harness.group, behavior: .http("HTTP/1.1 204 No Content\r\n\r\n"))
            let outcome = try await harness.run(
                function: """
                    local res = core.httpclient():get{url="http://example.invalid/", dst="127.0.0.1:\(server.port)"}
                    return res.status, res.reason
                    """)
            #expect(outcome == .values([204, "No Content"]))
            #expect(server.allReceived.contains("host: example.invalid\r\n"))
            try await server.close()
        }
    }

    @Test func invalidatingTheClientClosesARequestUnderWay() async throws {
        try await IOTestHarness.with { harness in
            let silent = try await IOTestServer(group: harness.group, behavior: .silent)
            await #expect(throws: IOTestHarness.Failure.self) {
                _ = try await harness.run(
                    function: "return core.httpclient():get{url='http://127.0.0.1:\(silent.port)/'}",
                    limit: .milliseconds(200))
            }
            #expect(silent.allReceived.hasPrefix("GET / HTTP/1.1"))
            try await harness.invalidateAll()
            try await silent.clientClosed()
            try await silent.close()
        }
    }

    @Test func urlParsing() throws {
        let url = try LuaHTTPClientURL.parse("HTTP://user@[::1]:8080?x=1#frag")
        #expect(url == LuaHTTPClientURL(host: "::1", port: 8080, authority: "[::1]:8080", target: "/?x=1"))
        #expect(try LuaHTTPClientURL.parse("http://h").target == "/")
        #expect(try LuaHTTPClientURL.parse("https://h/") == LuaHTTPClientURL(isTLS: true, host: "h", port: 443, authority: "h", target: "/"))
        #expect(throws: LuaHTTPClientURL.ParseError.invalid) { try LuaHTTPClientURL.parse("http://h:0/") }
        #expect(LuaChunkedBody.decode(Array("3\r\nabc\r\n1;x\r\nd\r\n0\r\n\r\n".utf8)) == Array("abcd".utf8))
    }
}
