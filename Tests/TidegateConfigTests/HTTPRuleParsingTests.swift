import Foundation
import Testing

@testable import TidegateConfig

@Suite struct HTTPRuleParsingTests {
    /// Parses rules inside an HTTP frontend and returns it, requiring no alert.
    func frontend(
        _ lines: String,
        extensions: ConfigExtensionRegistry = ConfigExtensionRegistry()
    ) throws -> ProxyConfiguration {
        let text = "frontend f\n    mode http\n    bind :80\n" + lines
        let result = ConfigLoader.parse(text: text, file: "r.cfg", extensions: extensions)
        #expect(result.alerts == [])
        return try #require(result.configuration?.proxies.first)
    }

    @Test func headerActions() throws {
        let proxy = try frontend(
            """
                http-request add-header X-Id %[uuid()]
                http-request del-header Cookie
                http-request del-header X-Debug- -m beg
                http-request replace-header Host (.*):80 \\1
                http-request replace-value Accept-Encoding ^gzip$ identity
            """
        )
        #expect(
            proxy.httpRequestRules.map(\.action) == [
                .addHeader(name: "X-Id", format: "%[uuid()]"),
                .deleteHeader(name: "Cookie", match: .exact),
                .deleteHeader(name: "X-Debug-", match: .prefix),
                .replaceHeader(name: "Host", regex: "(.*):80", format: "\\1"),
                .replaceValue(name: "Accept-Encoding", regex: "^gzip$", format: "identity"),
            ]
        )
        #expect(proxy.httpRequestRules.map(\.location.line) == [4, 5, 6, 7, 8])
    }

    @Test func requestLineActions() throws {
        let proxy = try frontend(
            """
                http-request set-path /v2%[path]
                http-request set-pathq /x?y=1
                http-request set-query a=b
                http-request set-uri http://example.com/
                http-request set-method POST if { method PUT }
            """
        )
        #expect(
            proxy.httpRequestRules.map(\.action) == [
                .setPath("/v2%[path]"), .setPathQuery("/x?y=1"), .setQuery("a=b"), .setURI("http://example.com/"),
                .setMethod("POST"),
            ]
        )
        #expect(proxy.httpRequestRules[4].condition?.words == ["{", "method", "PUT", "}"])
    }

    @Test func variables() throws {
        let proxy = try frontend(
            """
                http-request set-var(txn.path) path
                http-request set-var(sess.count,ifnotset,ifgt) int(1)
                http-request set-var-fmt(req.who) "%[src]:%[src_port]"
                http-request unset-var(proc.flag)
                http-response set-var(res.code) status
            """
        )
        #expect(
            proxy.httpRequestRules.map(\.action) == [
                .setVariable(VariableName(scope: .transaction, name: "path"), expression: ["path"], conditions: []),
                .setVariable(
                    VariableName(scope: .session, name: "count"),
                    expression: ["int(1)"],
                    conditions: [.ifNotSet, .ifGreater]
                ),
                .setVariableFormat(
                    VariableName(scope: .request, name: "who"),
                    format: "%[src]:%[src_port]",
                    conditions: []
                ),
                .unsetVariable(VariableName(scope: .process, name: "flag")),
            ]
        )
        #expect(
            proxy.httpResponseRules.map(\.action) == [
                .setVariable(VariableName(scope: .response, name: "code"), expression: ["status"], conditions: [])
            ]
        )
    }

    @Test func denyAndReturn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let body = try directory.write("maintenance.html", "<h1>Back soon</h1>\n")
        let raw = try directory.write("403.http", "HTTP/1.1 403 Forbidden\r\n\r\n")
        let proxy = try frontend(
            """
                http-request deny
                http-request deny deny_status 401 content-type text/plain string "go away" hdr WWW-Authenticate Basic
                http-request return status 503 content-type text/html file \(body) hdr Retry-After 60 if { path /maint }
                http-request return content-type "application/json" lf-string "{\\"ip\\":\\"%[src]\\"}"
                http-request return status 403 errorfile \(raw)
                http-request return status 404 default-errorfiles
                http-request allow if { src 10.0.0.0/8 }
                http-response deny
            """
        )
        let rules = proxy.httpRequestRules.map(\.action)
        #expect(rules[0] == .deny(HTTPReturnConfiguration(status: 403)))
        #expect(
            rules[1]
                == .deny(
                    HTTPReturnConfiguration(
                        status: 401,
                        contentType: "text/plain",
                        payload: .string("go away"),
                        headers: [.init(name: "WWW-Authenticate", format: "Basic")]
                    )
                )
        )
        #expect(
            rules[2]
                == .return(
                    HTTPReturnConfiguration(
                        status: 503,
                        contentType: "text/html",
                        payload: .file(path: body, contents: "<h1>Back soon</h1>\n"),
                        headers: [.init(name: "Retry-After", format: "60")]
                    )
                )
        )
        #expect(proxy.httpRequestRules[2].condition?.polarity == .if)
        #expect(
            rules[3]
                == .return(
                    HTTPReturnConfiguration(
                        status: 200,
                        contentType: "application/json",
                        payload: .logFormatString("{\"ip\":\"%[src]\"}")
                    )
                )
        )
        #expect(
            rules[4]
                == .return(
                    HTTPReturnConfiguration(
                        status: 403,
                        payload: .errorFile(path: raw, contents: "HTTP/1.1 403 Forbidden\r\n\r\n")
                    )
                )
        )
        #expect(rules[5] == .return(HTTPReturnConfiguration(status: 404, payload: .defaultErrorFiles)))
        #expect(rules[6] == .allow)
        #expect(proxy.httpResponseRules.map(\.action) == [.deny(HTTPReturnConfiguration(status: 502))])
    }

    @Test func redirectsLogLevelAndCapture() throws {
        let proxy = try frontend(
            """
                http-request redirect scheme https code 301 if !{ ssl_fc }
                http-request redirect prefix /new drop-query append-slash
                http-request redirect location https://example.com/%[path] set-cookie SEEN=1
                http-request set-log-level silent if { path /health }
                http-request set-log-level err
                http-request capture req.hdr(User-Agent) len 64
                http-response capture res.hdr(Server) id 0
            """
        )
        #expect(
            proxy.httpRequestRules.map(\.action) == [
                .redirect(HTTPRedirectConfiguration(kind: .scheme, value: "https", code: 301)),
                .redirect(HTTPRedirectConfiguration(kind: .prefix, value: "/new", dropQuery: true, appendSlash: true)),
                .redirect(
                    HTTPRedirectConfiguration(
                        kind: .location,
                        value: "https://example.com/%[path]",
                        setCookie: "SEEN=1"
                    )
                ),
                .setLogLevel(.silent),
                .setLogLevel(.level(.error)),
                .capture(sample: ["req.hdr(User-Agent)"], length: 64, id: nil),
            ]
        )
        #expect(proxy.httpResponseRules.map(\.action) == [.capture(sample: ["res.hdr(Server)"], length: nil, id: 0)])
    }

    @Test func responseAndAfterResponseRules() throws {
        let proxy = try frontend(
            """
                http-response set-status 503 reason "Try Later"
                http-response set-header Cache-Control no-store unless { status 200 }
                http-after-response set-header Strict-Transport-Security "max-age=31536000"
                http-after-response set-status 200
                http-after-response allow
            """
        )
        #expect(
            proxy.httpResponseRules.map(\.action) == [
                .setStatus(code: 503, reason: "Try Later"), .setHeader(name: "Cache-Control", format: "no-store"),
            ]
        )
        #expect(
            proxy.httpResponseRules[1].condition
                == RuleCondition(
                    polarity: .unless,
                    words: ["{", "status", "200", "}"],
                    location: ConfigLocation(file: "r.cfg", line: 5)
                )
        )
        #expect(
            proxy.httpAfterResponseRules.map(\.action) == [
                .setHeader(name: "Strict-Transport-Security", format: "max-age=31536000"),
                .setStatus(code: 200, reason: nil),
                .allow,
            ]
        )
    }

    @Test func afterResponseRejectsRequestOnlyActions() {
        let text = "frontend f\n    mode http\n    bind :80\n    http-after-response deny\n"
        let result = ConfigLoader.parse(text: text, file: "r.cfg")
        #expect(
            result.diagnostics.map(\.description) == [
                "parsing [r.cfg:4] : 'http-after-response deny' : action 'deny' is not available in 'http-after-response' rules."
            ]
        )
    }

    @Test func registeredCustomActionsAndServices() throws {
        var extensions = ConfigExtensionRegistry()
        extensions.registerActionPrefix("lua.", in: .all)
        extensions.registerAction("spoe.offload", in: [.httpRequest])
        extensions.registerServicePrefix("lua.")
        extensions.registerKeyword("lua-load", in: [.global])
        extensions.registerKeyword("filter", in: [.frontend, .backend, .listen])
        let text = """
            global
                lua-load /etc/tidegate/auth.lua
            frontend f
                mode http
                bind :80
                filter spoe engine agent config /etc/spoe.conf
                http-request lua.auth realm "Staff only" if { path_beg /admin }
                http-request spoe.offload
                http-request use-service lua.hello if { path /hello }
                http-response lua.stamp
                tcp-request content lua.inspect
            """
        let result = ConfigLoader.parse(text: text, file: "x.cfg", extensions: extensions)
        #expect(result.diagnostics == [])
        let configuration = try #require(result.configuration)
        #expect(configuration.global.extensionDirectives.map(\.words) == [["lua-load", "/etc/tidegate/auth.lua"]])
        #expect(configuration.global.extensionDirectives[0].location == ConfigLocation(file: "x.cfg", line: 2))
        let proxy = configuration.proxies[0]
        #expect(proxy.extensionDirectives.map(\.keyword) == ["filter"])
        #expect(
            proxy.httpRequestRules.map(\.action) == [
                .custom(name: "lua.auth", arguments: ["realm", "Staff only"]),
                .custom(name: "spoe.offload", arguments: []),
                .useService(name: "lua.hello"),
            ]
        )
        #expect(proxy.httpRequestRules[0].condition?.words == ["{", "path_beg", "/admin", "}"])
        #expect(proxy.httpResponseRules.map(\.action) == [.custom(name: "lua.stamp", arguments: [])])
        #expect(proxy.tcpRequestContentRules.map(\.action) == [.custom(name: "lua.inspect", arguments: [])])

        // Registered for http-request only.
        let misplaced = ConfigLoader.parse(
            text: "frontend f\n    mode http\n    bind :80\n    http-response spoe.offload\n",
            file: "x.cfg",
            extensions: extensions
        )
        #expect(misplaced.alerts.map(\.location?.line) == [4])
    }

    @Test func tcpRules() throws {
        let text = """
            frontend f
                bind :5000
                tcp-request inspect-delay 5s
                tcp-request connection reject if { src 192.0.2.0/24 }
                tcp-request connection accept
                tcp-request content set-var(sess.proto) req.payload(0,3)
                tcp-request content accept if { req.len gt 0 }
                tcp-request content reject
                default_backend b
            backend b
                tcp-response inspect-delay 1s
                tcp-response content accept
                server s 10.0.0.1:5000
            """
        let result = ConfigLoader.parse(text: text, file: "t.cfg")
        #expect(result.diagnostics == [])
        let configuration = try #require(result.configuration)
        let frontend = configuration.proxies[0]
        #expect(frontend.tcpRequestInspectDelay == 5_000)
        #expect(frontend.tcpRequestConnectionRules.map(\.action) == [.reject, .accept])
        #expect(frontend.tcpRequestConnectionRules[0].condition?.words == ["{", "src", "192.0.2.0/24", "}"])
        #expect(
            frontend.tcpRequestContentRules.map(\.action) == [
                .setVariable(
                    VariableName(scope: .session, name: "proto"),
                    expression: ["req.payload(0,3)"],
                    conditions: []
                ),
                .accept,
                .reject,
            ]
        )
        #expect(frontend.tcpRequestContentRules.map(\.location.line) == [6, 7, 8])
        let backend = configuration.proxies[1]
        #expect(backend.tcpResponseInspectDelay == 1_000)
        #expect(backend.tcpResponseContentRules.map(\.action) == [.accept])
    }
}
