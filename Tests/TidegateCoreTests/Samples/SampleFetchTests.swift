import NIOCore
import Testing
import TidegateConfig

@testable import TidegateCore

@Suite("Sample fetches")
struct SampleFetchTests {
    static let request = """
        GET /shop/cart.php?id=42&lang=en;sid=abc&empty= HTTP/1.1
        Host: www.example.com
        Accept: text/html, application/json
        Accept: image/png
        X-Forwarded-For: 203.0.113.7, 10.0.0.2
        Cookie: session=s1; theme=dark
        Cookie: session=s2
        Content-Length: 17
        X-Empty:
        """
    static let response = """
        HTTP/1.1 404 Not Found
        Server: test
        Set-Cookie: SRV=s3; path=/
        Set-Cookie: LANG=fr
        Cache-Control: no-cache, private
        """

    let context = makeContext(request: SampleFetchTests.request, response: SampleFetchTests.response)

    @Test func addressesAndNames() throws {
        #expect(try string("src", context) == "192.0.2.10")
        #expect(try evaluate("src", context) == .ipv4(IPv4Address(192, 0, 2, 10)))
        #expect(try integer("src_port", context) == 51000)
        #expect(try string("dst", context) == "10.0.0.1")
        #expect(try integer("dst_port", context) == 8080)
        #expect(try string("fe_name", context) == "fe")
        #expect(try string("be_name", context) == "fe")
        #expect(try evaluate("srv_name", context) == nil)
        context.backendName = "app"
        context.serverName = "s1"
        #expect(try string("be_name", context) == "app")
        #expect(try string("srv_name", context) == "s1")
    }

    @Test func ipv6Source() throws {
        let v6 = SampleContext(frontendName: "fe", clientAddress: try SocketAddress(ipAddress: "2001:db8::5", port: 1))
        #expect(try string("src", v6) == "2001:db8::5")
        #expect(try evaluate("src", v6)?.type == .ipv6)
    }

    @Test func requestLine() throws {
        #expect(try evaluate("method", context) == .meth(ByteBuffer(string: "GET")))
        #expect(try string("method", context) == "GET")
        #expect(try string("path", context) == "/shop/cart.php")
        #expect(try string("query", context) == "id=42&lang=en;sid=abc&empty=")
        #expect(try string("url", context) == "/shop/cart.php?id=42&lang=en;sid=abc&empty=")
        #expect(try string("base", context) == "www.example.com/shop/cart.php")
        #expect(try string("req.ver", context) == "1.1")
        #expect(try string("req_ver", context) == "1.1")
        // base32 is documented as base,sdbm(1).
        #expect(try integer("base32", context) == (try integer("base,sdbm(1)", context)))
        #expect(try evaluate("http_first_req", context) == .bool(true))
        context.resetForNextRequest()
        #expect(try evaluate("http_first_req", context) == .bool(false))
    }

    @Test func absoluteFormAndMissingQuery() throws {
        let absolute = makeContext(request: "GET http://h.example:81/a/b?x=1 HTTP/1.0\nHost: h.example")
        #expect(try string("path", absolute) == "/a/b")
        #expect(try string("req.ver", absolute) == "1.0")
        let noQuery = makeContext(request: "GET /plain HTTP/1.1\nHost: a")
        #expect(try evaluate("query", noQuery) == nil)
        let emptyQuery = makeContext(request: "GET /plain? HTTP/1.1\nHost: a")
        #expect(try string("query", emptyQuery) == "")
        let star = makeContext(request: "OPTIONS * HTTP/1.1\nHost: a")
        #expect(try evaluate("path", star) == nil)
        #expect(try string("url", star) == "*")
    }

    @Test func headerOccurrences() throws {
        // Outside ACLs a multi-valued header gives its last value.
        #expect(try string("req.hdr(accept)", context) == "image/png")
        #expect(try string("hdr(Accept)", context) == "image/png")
        #expect(try string("req.hdr(accept,1)", context) == "text/html")
        #expect(try string("req.hdr(accept,2)", context) == "application/json")
        #expect(try string("req.hdr(accept,-2)", context) == "application/json")
        #expect(try evaluate("req.hdr(accept,4)", context) == nil)
        #expect(try string("req.hdr(x-forwarded-for,1)", context) == "203.0.113.7")
        #expect(try string("req.fhdr(accept)", context) == "image/png")
        #expect(try string("req.fhdr(accept,1)", context) == "text/html, application/json")
        #expect(try string("req.hdr(x-empty)", context) == "")
        #expect(try evaluate("req.hdr(missing)", context) == nil)
    }

    @Test func headerIterationForACLs() throws {
        #expect(try allValues("req.hdr(accept)", context) == ["text/html", "application/json", "image/png"])
        #expect(try allValues("req.fhdr(accept)", context) == ["text/html, application/json", "image/png"])
        #expect(try allValues("req.hdr(accept,-1)", context) == ["image/png"])
        #expect(try allValues("req.hdr(accept),upper", context) == ["TEXT/HTML", "APPLICATION/JSON", "IMAGE/PNG"])
    }

    @Test func headerCountsValuesAndAddresses() throws {
        #expect(try integer("req.hdr_cnt(accept)", context) == 3)
        #expect(try integer("hdr_cnt(accept)", context) == 3)
        #expect(try integer("req.fhdr_cnt(accept)", context) == 2)
        #expect(try integer("req.hdr_cnt(nothing)", context) == 0)
        #expect(try integer("req.hdr_val(content-length)", context) == 17)
        #expect(try evaluate("req.hdr_ip(x-forwarded-for,1)", context) == .ipv4(IPv4Address(203, 0, 113, 7)))
        #expect(try evaluate("hdr_ip(x-forwarded-for)", context) == .ipv4(IPv4Address(10, 0, 0, 2)))
        #expect(
            try string("req.hdr_names", context)
                == "Host,Accept,Accept,X-Forwarded-For,Cookie,Cookie,Content-Length,X-Empty")
        #expect(try string("res.hdr_names(;;)", context) == "Server;Set-Cookie;Set-Cookie;Cache-Control")
    }

    @Test func responseHeadersAndDirection() throws {
        #expect(try integer("status", context) == 404)
        #expect(try string("res.ver", context) == "1.1")
        #expect(try string("res.hdr(server)", context) == "test")
        #expect(try string("shdr(cache-control)", context) == "private")
        #expect(try integer("res.hdr_cnt(cache-control)", context) == 2)
        // hdr() reads the message of the rules being run.
        #expect(try evaluate("hdr(server)", context) == nil)
        context.direction = .response
        #expect(try string("hdr(server)", context) == "test")
    }

    @Test func cookies() throws {
        // Named: the last occurrence; unnamed: the first cookie.
        #expect(try string("req.cook(session)", context) == "s2")
        #expect(try string("cook(theme)", context) == "dark")
        #expect(try string("req.cook", context) == "s1")
        #expect(try allValues("req.cook(session)", context) == ["s1", "s2"])
        #expect(try integer("req.cook_cnt(session)", context) == 2)
        #expect(try integer("req.cook_cnt", context) == 3)
        #expect(try evaluate("req.cook(nope)", context) == nil)
        #expect(try string("res.cook(SRV)", context) == "s3")
        #expect(try string("scook(LANG)", context) == "fr")
        #expect(try evaluate("res.cook(path)", context) == nil)
        let numbers = makeContext(request: "GET / HTTP/1.1\nCookie: n=12abc")
        #expect(try integer("req.cook_val(n)", numbers) == 12)
    }

    @Test func urlParameters() throws {
        #expect(try string("url_param(id)", context) == "42")
        #expect(try string("urlp(lang)", context) == "en")
        #expect(try string("urlp(sid)", context) == "abc")
        #expect(try string("urlp(empty)", context) == "")
        #expect(try evaluate("urlp(ID)", context) == nil)
        #expect(try string("urlp(ID,,i)", context) == "42")
        #expect(try integer("urlp_val(id)", context) == 42)
        #expect(try string("urlp", context) == "42")
        let custom = makeContext(request: "GET /x?a=1|b=2 HTTP/1.1\nHost: h")
        #expect(try string("urlp(b,|)", custom) == "2")
        // As the manual's example: a ';' delimiter also starts the parameters.
        let jsession = makeContext(request: "GET /foo;JSESSIONID=some_id HTTP/1.1\nHost: h")
        #expect(try string("urlp(JSESSIONID,;)", jsession) == "some_id")
        #expect(try evaluate("urlp(JSESSIONID)", jsession) == nil)
    }

    @Test func constantsAndInternal() throws {
        #expect(try evaluate("always_true", context) == .bool(true))
        #expect(try evaluate("always_false", context) == .bool(false))
        #expect(try string("str(hello)", context) == "hello")
        #expect(try integer("int(-5)", context) == -5)
        #expect(try evaluate("bool(true)", context) == .bool(true))
        #expect(try evaluate("bool(1)", context) == .bool(true))
        #expect(try evaluate("bool(false)", context) == .bool(false))
        #expect(try evaluate("bool(0)", context) == .bool(false))
        // HAProxy accepts only true, false, 1 and 0.
        #expect(throws: SampleCompileError.self) { try SampleExpression("bool(3)") }
        #expect(try evaluate("ipv4(10.1.2.3)", context) == .ipv4(IPv4Address(10, 1, 2, 3)))
        #expect(try string("ipv6(2001:db8::1)", context) == "2001:db8::1")
        #expect(try evaluate("bin(00ff41)", context) == .binary([0, 255, 0x41]))
        #expect(try string("meth(PURGE)", context) == "PURGE")
        #expect(try string("env(TG_TEST)", context) == "hello")
        #expect(try evaluate("env(NOT_SET)", context) == nil)
        #expect(try integer("date", context) == 1_700_000_000)
        #expect(try integer("date(10)", context) == 1_700_000_010)
        #expect(try integer("date(0,ms)", context) == 1_700_000_000_123)
        #expect(try integer("date(5,us)", context) == 1_700_000_000_123_461)
        #expect(try integer("date_us", context) == 123_456)
        #expect(try evaluate("req.proto_http", context) == .bool(true))
        #expect(try evaluate("wait_end", context) == .bool(true))
        context.requestBufferLength = 12
        #expect(try integer("req.len", context) == 12)
    }

    @Test func capturesFromTheLogInformation() throws {
        context.logInfo.requestLine = "GET /x?y=1 HTTP/1.0"
        context.logInfo.capturedRequestHeaders = ["www.example.com", nil]
        context.logInfo.capturedResponseHeaders = ["text/html"]
        #expect(try string("capture.req.method", context) == "GET")
        #expect(try string("capture.req.uri", context) == "/x?y=1")
        #expect(try string("capture.req.ver", context) == "HTTP/1.0")
        #expect(try string("capture.req.hdr(0)", context) == "www.example.com")
        #expect(try evaluate("capture.req.hdr(1)", context) == nil)
        #expect(try evaluate("capture.req.hdr(2)", context) == nil)
        #expect(try string("capture.res.hdr(0)", context) == "text/html")
    }

    @Test func randomAndUUID() throws {
        for _ in 0..<50 {
            let value = try #require(try integer("rand(6)", context))
            #expect((0..<6).contains(value))
        }
        let uuid = try #require(try string("uuid", context))
        let parts = uuid.split(separator: "-")
        #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
        #expect(parts[2].first == "4")
        #expect(["8", "9", "a", "b"].contains(parts[3].first.map(String.init)))
        #expect(try string("uuid", context) != uuid)
        let v7 = try #require(try string("uuid(7)", context))
        #expect(v7.split(separator: "-")[2].first == "7")
        // 1700000000123 ms = 0x018bcfe5687b
        #expect(v7.hasPrefix("018bcfe5-687b"))
    }

    @Test func variablesAndDefaults() throws {
        let name = try VariableName.parse("txn.user").get()
        #expect(try evaluate("var(txn.user)", context) == nil)
        #expect(try string("var(txn.user,anonymous)", context) == "anonymous")
        context.setVariable(name, to: .string("alice"))
        #expect(try string("var(txn.user)", context) == "alice")
        context.resetForNextRequest()
        #expect(try evaluate("var(txn.user)", context) == nil)
    }

    @Test func serverState() throws {
        final class Directory: ProxyDirectory {
            func usableServerCount(backend: String) -> Int? { backend == "app" ? 2 : backend == "fe" ? 0 : nil }
            func isServerUp(backend: String, server: String) -> Bool? {
                backend == "app" ? server == "s1" : nil
            }
        }
        context.directory = Directory()
        #expect(try integer("nbsrv(app)", context) == 2)
        #expect(try integer("nbsrv", context) == 0)
        #expect(try evaluate("nbsrv(unknown)", context) == nil)
        #expect(try evaluate("srv_is_up(app/s1)", context) == .bool(true))
        #expect(try evaluate("srv_is_up(app/s2)", context) == .bool(false))
        context.backendName = "app"
        #expect(try evaluate("srv_is_up(s1)", context) == .bool(true))
        #expect(try integer("nbsrv", context) == 2)
    }

    @Test func missingHeads() throws {
        let bare = SampleContext(frontendName: "tcp")
        #expect(try evaluate("path", bare) == nil)
        #expect(try evaluate("req.hdr(host)", bare) == nil)
        #expect(try evaluate("status", bare) == nil)
        #expect(try evaluate("src", bare) == nil)
        #expect(try evaluate("req.proto_http", bare) == .bool(false))
    }

    @Test func requirements() throws {
        #expect(try SampleExpression("req.hdr(host)").requirements == .httpRequest)
        #expect(try SampleExpression("res.hdr(server),lower").requirements == .httpResponse)
        #expect(try SampleExpression("src").requirements == .connection)
        #expect(try SampleExpression("hdr(x)").isMultiValued)
        #expect(try !SampleExpression("path").isMultiValued)
    }
}
