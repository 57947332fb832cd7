import Testing
import TidegateConfig

@testable import TidegateCore

@Suite("Conditions and ACL sets")
struct ConditionTests {
    func makeACLs() throws -> ACLSet {
        var acls = ACLSet()
        try acls.define(name: "is_api", words: ["path_beg", "/api"])
        try acls.define(name: "is_api", words: ["hdr(host)", "-i", "api.example.com"])
        try acls.define(name: "is_post", words: ["method", "POST"])
        try acls.define(name: "internal", words: ["src", "10.0.0.0/8"])
        return acls
    }

    func evaluate(_ condition: String, _ request: String, unless: Bool = false) throws -> Bool {
        let words = condition.split(separator: " ").map(String.init)
        return try Condition(words: words, unless: unless, acls: makeACLs()).evaluate(in: makeContext(request: request))
    }

    let apiPost = "POST /api/users HTTP/1.1\nHost: www.example.com"
    let apiHostGet = "GET /users HTTP/1.1\nHost: API.example.com"
    let webGet = "GET /index.html HTTP/1.1\nHost: www.example.com"

    @Test func sameNameIsOred() throws {
        #expect(try evaluate("is_api", apiPost))
        #expect(try evaluate("is_api", apiHostGet))
        #expect(try !evaluate("is_api", webGet))
        #expect(try makeACLs().names == ["is_api", "is_post", "internal"])
    }

    @Test func andOrNot() throws {
        #expect(try evaluate("is_api is_post", apiPost))
        #expect(try !evaluate("is_api is_post", apiHostGet))
        #expect(try evaluate("is_api !is_post", apiHostGet))
        #expect(try !evaluate("is_api !is_post", apiPost))
        #expect(try evaluate("is_api ! is_post", apiHostGet))
        #expect(try evaluate("is_post || internal", apiPost))
        #expect(try evaluate("internal or is_api", apiHostGet))
        #expect(try !evaluate("internal or is_post", webGet))
        #expect(try evaluate("! internal", webGet))
        #expect(try evaluate("! ! is_post", apiPost))
        #expect(try !evaluate("is_api", webGet, unless: false))
        #expect(try evaluate("is_api", webGet, unless: true))
    }

    @Test func anonymousAndPredefined() throws {
        #expect(try evaluate("{ path_end .html }", webGet))
        #expect(try evaluate("is_api || { path_end .html }", webGet))
        #expect(try !evaluate("{ path_end .html } is_post", webGet))
        #expect(try evaluate("! { hdr(host) -m found } || TRUE", webGet))
        #expect(try evaluate("METH_GET HTTP_1.1 HTTP_URL_SLASH", webGet))
        #expect(try evaluate("METH_GET", "HEAD / HTTP/1.1\nHost: a"))
        #expect(try evaluate("METH_POST HTTP_CONTENT", "POST / HTTP/1.1\nHost: a\nContent-Length: 3"))
        #expect(try !evaluate("HTTP_CONTENT", webGet))
        #expect(try evaluate("HTTP_URL_ABS", "GET http://a.example/ HTTP/1.1\nHost: a"))
        #expect(try !evaluate("HTTP_URL_ABS", webGet))
        #expect(try evaluate("HTTP_URL_STAR METH_OPTIONS", "OPTIONS * HTTP/1.1\nHost: a"))
        #expect(try !evaluate("LOCALHOST", webGet))
        #expect(try evaluate("HTTP WAIT_END !FALSE", webGet))
        #expect(try !evaluate("HTTP_1.0", webGet))
        #expect(try !evaluate("REQ_CONTENT", webGet))
    }

    @Test func ruleConditionFromConfig() throws {
        let rule = RuleCondition(
            polarity: .unless, words: ["is_post"], location: ConfigLocation(file: "t.cfg", line: 3))
        let condition = try Condition(rule, acls: makeACLs())
        #expect(condition.isUnless)
        #expect(condition.evaluate(in: makeContext(request: webGet)))
        #expect(!condition.evaluate(in: makeContext(request: apiPost)))
        let byPolarity = try Condition(polarity: .if, words: ["is_post"], acls: makeACLs())
        #expect(byPolarity.evaluate(in: makeContext(request: apiPost)))
        #expect(byPolarity.requirements.contains(.httpRequest))
    }

    func error(_ words: [String]) -> SampleCompileError? {
        do {
            _ = try Condition(words: words, acls: makeACLs())
            return nil
        } catch {
            return error as? SampleCompileError
        }
    }

    @Test func errors() {
        #expect(error(["nope"])?.code == .unknownACL)
        #expect(error(["nope"])?.message.contains("'nope'") == true)
        #expect(error(["is_api", "||"])?.code == .syntax)
        #expect(error(["||", "is_api"])?.code == .syntax)
        #expect(error(["!"])?.code == .syntax)
        #expect(error([])?.code == .syntax)
        #expect(error(["{", "path_beg", "/x"])?.code == .syntax)
        #expect(error(["{", "}"])?.code == .syntax)
        #expect(error(["{", "nofetch", "x", "}"])?.code == .unknownFetch)
        #expect(error(["is_api", "}"])?.code == .syntax)
    }
}
