import NIOCore
import Testing

@testable import TidegateCore

@Suite("ACL tests and match methods")
struct ACLExpressionTests {
    static let request = """
        GET /images/logo.PNG?size=large HTTP/1.1
        Host: www.Example.com:8080
        Accept: text/html, application/json
        Accept: image/png
        X-Count: 7
        X-Forwarded-For: 203.0.113.7, 10.1.2.3
        Content-Length: 42
        """
    let context = makeContext(request: ACLExpressionTests.request)

    func matches(_ line: String, _ context: SampleContext? = nil) throws -> Bool {
        let words = line.split(separator: " ").map(String.init)
        return try ACLExpression(words: words).matches(in: context ?? self.context)
    }

    @Test func stringMethods() throws {
        #expect(try matches("path /images/logo.PNG"))
        #expect(try !matches("path /images/logo.png"))
        #expect(try matches("path -i /IMAGES/LOGO.png"))
        #expect(try matches("path_beg /images/ /static/"))
        #expect(try !matches("path_beg /static/"))
        #expect(try matches("path_end .PNG"))
        #expect(try matches("path_end -i .png .jpg"))
        #expect(try matches("path_sub logo"))
        #expect(try matches("path_reg ^/images/[a-z]+\\.PNG$"))
        #expect(try matches("path_reg -i ^/IMAGES/"))
        #expect(try !matches("path_reg ^/IMAGES/"))
        #expect(try matches("path_dir images"))
        #expect(try matches("path_dir /images/"))
        #expect(try !matches("path_dir imag"))
        #expect(try matches("path_len 16"))
        #expect(try matches("path_len gt 15"))
        #expect(try !matches("path_len lt 16"))
        #expect(try matches("hdr_dom(host) -i example"))
        #expect(try matches("hdr_dom(host) -i www.example.com"))
        #expect(try !matches("hdr_dom(host) -i ample.com"))
        #expect(try matches("hdr_beg(host) -i www."))
        #expect(try matches("hdr_end(host) :8080"))
        #expect(try matches("url_sub size=large"))
        #expect(try matches("url_beg /"))
        #expect(try matches("req.hdr(host),lower -m end example.com:8080"))
        #expect(try matches("path -m sub logo"))
        #expect(try matches("path -m beg -i /IMAGES"))
    }

    @Test func iteratesEveryHeaderValue() throws {
        #expect(try matches("hdr(accept) application/json"))
        #expect(try matches("req.hdr(accept) image/png"))
        #expect(try !matches("req.hdr(accept,1) image/png"))
        #expect(try matches("hdr_sub(accept) json"))
        #expect(try matches("req.fhdr(accept) -m sub html,"))
        #expect(try matches("hdr_ip(x-forwarded-for) 10.0.0.0/8"))
        #expect(try !matches("hdr_ip(x-forwarded-for,1) 10.0.0.0/8"))
    }

    @Test func hdrKeywordsAlwaysReadTheRequest() throws {
        let both = makeContext(request: "GET / HTTP/1.1\nHost: a\nX: req", response: "HTTP/1.1 200 OK\nX: res")
        both.direction = .response
        #expect(try matches("hdr(x) req", both))
        #expect(try matches("hdr_cnt(x) 1", both))
        #expect(try matches("shdr(x) res", both))
        #expect(try matches("hdr(x),upper REQ", both))
        // The hdr() sample fetch itself follows the direction.
        #expect(try string("hdr(x)", both) == "res")
    }

    @Test func integersOperatorsAndRanges() throws {
        #expect(try matches("hdr_val(x-count) 7"))
        #expect(try matches("hdr_val(x-count) 1:10"))
        #expect(try matches("hdr_val(x-count) 5-9"))
        #expect(try matches("hdr_val(x-count) :7"))
        #expect(try matches("hdr_val(x-count) 7:"))
        #expect(try !matches("hdr_val(x-count) 8:"))
        #expect(try matches("hdr_val(x-count) gt 6"))
        #expect(try !matches("hdr_val(x-count) gt 7"))
        #expect(try matches("hdr_val(x-count) ge 7"))
        #expect(try matches("hdr_val(x-count) lt 8"))
        #expect(try !matches("hdr_val(x-count) lt 7"))
        #expect(try matches("hdr_val(x-count) le 7"))
        #expect(try matches("hdr_val(x-count) eq 3 7"))
        #expect(try matches("hdr_cnt(accept) 3"))
        #expect(try matches("req.hdr_cnt(accept) gt 2"))
        #expect(try matches("req.hdr(x-count) -m int 7"))
        #expect(throws: SampleCompileError.self) { try matches("hdr_val(x-count) 9:1") }
        #expect(throws: SampleCompileError.self) { try matches("hdr_val(x-count) seven") }
    }

    @Test func addresses() throws {
        #expect(try matches("src 192.0.2.0/24"))
        #expect(try matches("src 192.0.2.10"))
        #expect(try matches("src 10.0.0.0/8 192.0.2.0/255.255.255.0"))
        #expect(try !matches("src 192.0.3.0/24"))
        #expect(try matches("src ::ffff:192.0.2.10"))
        #expect(try matches("dst 10.0.0.1"))
        #expect(try matches("src,ipmask(16) 192.0.0.0"))
        let v6 = SampleContext(frontendName: "fe", clientAddress: try SocketAddress(ipAddress: "2001:db8::42", port: 1))
        #expect(try matches("src 2001:db8::/32", v6))
        #expect(try !matches("src 2001:db9::/32", v6))
        #expect(try !matches("src 0.0.0.0/0", v6))
        let mapped = SampleContext(
            frontendName: "fe", clientAddress: try SocketAddress(ipAddress: "::ffff:10.9.8.7", port: 1))
        #expect(try matches("src 10.0.0.0/8", mapped))
        #expect(throws: SampleCompileError.self) { try matches("src 10.0.0.0/33") }
        #expect(throws: SampleCompileError.self) { try matches("src not-an-address") }
    }

    @Test func booleansFoundAndMethods() throws {
        #expect(try matches("always_true"))
        #expect(try !matches("always_false"))
        #expect(try matches("req.hdr(x-count) -m found"))
        #expect(try !matches("req.hdr(missing) -m found"))
        #expect(try matches("hdr_cnt(accept) -m bool"))
        #expect(try !matches("hdr_cnt(missing) -m bool"))
        #expect(try matches("method GET"))
        #expect(try matches("method POST GET"))
        #expect(try !matches("method get"))
        #expect(try !matches("method -i get"))
        let purge = makeContext(request: "PURGE /x HTTP/1.1\nHost: a")
        #expect(try matches("method -i purge", purge))
        #expect(try !matches("method purge", purge))
        #expect(try matches("method,lower get"))
        #expect(throws: SampleCompileError.self) { try matches("always_true -m found 1") }
        #expect(throws: SampleCompileError.self) { try matches("var(txn.x) foo") }
        #expect(try !matches("var(txn.x) -m found"))
        #expect(try matches("str(abc) -m bin 616263"))
    }

    @Test func patternFiles() throws {
        let list = fixture("blocked-paths.lst")
        let admin = makeContext(request: "GET /admin HTTP/1.1\nHost: a")
        let secret = makeContext(request: "GET /secret HTTP/1.1\nHost: a")
        #expect(try ACLExpression(words: ["path", "-f", list]).matches(in: admin))
        #expect(try !ACLExpression(words: ["path", "-f", list]).matches(in: secret))
        #expect(try ACLExpression(words: ["path", "-i", "-f", list]).matches(in: secret))
        #expect(
            try ACLExpression(words: ["path_beg", "-f", list]).matches(
                in: makeContext(request: "GET /private/x HTTP/1.1\nHost: a")))
        #expect(try ACLExpression(words: ["src", "-f", fixture("networks.lst")]).matches(in: makeContext()) == false)
        let insider = SampleContext(
            frontendName: "fe", clientAddress: try SocketAddress(ipAddress: "192.168.1.77", port: 1))
        #expect(try ACLExpression(words: ["src", "-f", fixture("networks.lst")]).matches(in: insider))
        #expect(
            try ACLExpression(words: ["hdr(host)", "-M", "-f", fixture("hosts.map")]).matches(
                in: makeContext(request: "GET / HTTP/1.1\nHost: api.example.com")))
        #expect(throws: SampleCompileError.self) { try ACLExpression(words: ["path", "-f", fixture("missing.lst")]) }
        #expect(throws: SampleCompileError.self) { try ACLExpression(words: ["path", "-f"]) }
    }

    @Test func flagsAndWarnings() throws {
        #expect(
            try ACLExpression(words: ["req.hdr(x)", "--", "-dash"]).matches(
                in: makeContext(request: "GET / HTTP/1.1\nX: -dash")))
        #expect(throws: SampleCompileError.self) { try ACLExpression(words: ["path", "-x", "a"]) }
        #expect(throws: SampleCompileError.self) { try ACLExpression(words: ["path", "-m", "nope", "a"]) }
        #expect(try ACLExpression(words: ["path"]).warnings.count == 1)
        #expect(try ACLExpression(words: ["path", "--"]).warnings.isEmpty)
        #expect(try ACLExpression(words: ["path", "-m", "found"]).warnings.isEmpty)
        #expect(try !ACLExpression(words: ["path"]).matches(in: context))
        #expect(try ACLExpression(words: ["path", "-n", "-u", "7", "/images/logo.PNG"]).matches(in: context))
        #expect(throws: SampleCompileError.self) { try ACLExpression(words: ["always_true", "-m", "ip", "10.0.0.1"]) }
    }
}
