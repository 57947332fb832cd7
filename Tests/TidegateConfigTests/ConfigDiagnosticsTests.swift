import Foundation
import Testing

@testable import TidegateConfig

/// Every class of error carries its file:line and a precise message.
@Suite struct ConfigDiagnosticsTests {
    /// Parses `text` as `e.cfg` and returns the diagnostics' descriptions.
    func diagnostics(_ text: String, extensions: ConfigExtensionRegistry = ConfigExtensionRegistry()) -> [String] {
        let result = ConfigLoader.parse(text: text, file: "e.cfg", extensions: extensions)
        if result.alerts.isEmpty == false { #expect(result.configuration == nil) }
        return result.diagnostics.map(\.description)
    }

    @Test func unknownKeywordWithHint() {
        let text = """
            global
                maxconn 100
                nbthreads 4
                frobnicate
            frontend f
                bind :80
                maxconnn 10
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:3] : unknown keyword 'nbthreads' in 'global' section; did you mean 'nbthread' maybe ?",
                "parsing [e.cfg:4] : unknown keyword 'frobnicate' in 'global' section.",
                "parsing [e.cfg:7] : unknown keyword 'maxconnn' in 'frontend' section; did you mean 'maxconn' maybe ?",
            ]
        )
    }

    @Test func keywordBeforeAnySectionAndUnsupportedSections() {
        let text = """
            maxconn 10
            userlist admins
                user admin insecure-password x
            backend b
                server s 10.0.0.1:80
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:1] : unknown keyword 'maxconn' out of section.",
                "parsing [e.cfg:2] : 'userlist' sections are not supported.",
            ]
        )
    }

    @Test func badTimes() {
        let text = """
            defaults
                timeout client 10x
                timeout server
                timeout connect 1.5s
                timeout forever 1s
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:2] : 'timeout client' : unexpected character 'x' in time value '10x' (units are us, ms, s, m, h, d).",
                "parsing [e.cfg:3] : 'timeout server' expects exactly 1 argument.",
                "parsing [e.cfg:4] : 'timeout connect' : unexpected character '.' in time value '1.5s' (units are us, ms, s, m, h, d).",
                "parsing [e.cfg:5] : 'timeout' : unknown timeout 'forever' (expects one of connect, client, server, http-request, http-keep-alive, queue, tunnel, client-fin, server-fin, check).",
            ]
        )
    }

    @Test func badAddresses() {
        let text = """
            frontend f
                bind 10.0.0.1
                bind 10.0.0.1:70000
                bind abns@foo
                bind :80 ssl crt /etc/site.pem
                bind :81 accept-proxy
                bind :82 tfo
            backend b
                server s1 300.1.1.1:80
                server s2 bad_host!:80
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:2] : 'bind' : missing port number in '10.0.0.1'.",
                "parsing [e.cfg:3] : 'bind' : invalid port '70000' in '10.0.0.1:70000'.",
                "parsing [e.cfg:4] : 'bind' : abstract namespace sockets ('abns@foo') are not supported.",
                "parsing [e.cfg:5] : 'bind' : 'ssl' : TLS is not supported yet.",
                "parsing [e.cfg:5] : 'bind' : 'crt' : TLS is not supported yet.",
                "parsing [e.cfg:6] : 'bind' : 'accept-proxy' : the PROXY protocol is not supported.",
                "parsing [e.cfg:7] : 'bind' : unknown keyword 'tfo'.",
                "parsing [e.cfg:9] : 'server s1' : invalid address '300.1.1.1' in '300.1.1.1:80'.",
                "parsing [e.cfg:10] : 'server s2' : invalid address 'bad_host!' in 'bad_host!:80'.",
                // Rejected binds are not kept, hence the final check's warning.
                "parsing [e.cfg:1] : frontend 'f' has no 'bind' directive. Please declare it as a backend if this was intended.",
            ]
        )
    }

    @Test func missingBackendsAreReportedAtTheReference() {
        let text = """
            frontend f
                bind :80
                use_backend api if { path_beg /api }
                use_backend %[req.hdr(host),lower]
                default_backend appp
            backend app
                server s 10.0.0.1:80
            backend api2
                server s 10.0.0.1:80
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:5] : frontend 'f' : unable to find required default_backend 'appp'; did you mean 'app' maybe ?",
                "parsing [e.cfg:3] : frontend 'f' : unable to find required use_backend 'api'; did you mean 'api2' maybe ?",
            ]
        )
    }

    @Test func httpFrontendCannotUseTCPBackend() {
        let text = """
            frontend f
                mode http
                bind :80
                default_backend b
            backend b
                mode tcp
                server s 10.0.0.1:80
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:4] : frontend 'f' : unable to use backend 'b' with wrong mode, required: http, has: tcp."
            ]
        )
    }

    @Test func keywordsInTheWrongSection() {
        let text = """
            defaults
                bind :80
                server s 10.0.0.1:80
                acl a path /
            frontend f
                bind :80
                server s 10.0.0.1:80
                balance roundrobin
            backend b
                bind :81
                default_backend x
                use_backend x
                tcp-request connection reject
                server s 10.0.0.1:80
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:2] : 'bind' not allowed in 'defaults' section.",
                "parsing [e.cfg:3] : 'server' not allowed in 'defaults' section.",
                "parsing [e.cfg:4] : 'acl' not allowed in 'defaults' section.",
                "parsing [e.cfg:7] : 'server' not allowed in 'frontend' section.",
                "parsing [e.cfg:8] : 'balance' ignored because frontend 'f' has no backend capability.",
                "parsing [e.cfg:10] : 'bind' not allowed in 'backend' section.",
                "parsing [e.cfg:11] : 'default_backend' not allowed in 'backend' section.",
                "parsing [e.cfg:12] : 'use_backend' not allowed in 'backend' section.",
                "parsing [e.cfg:13] : 'tcp-request connection' not allowed in 'backend' section.",
            ]
        )
    }

    @Test func duplicateServersAndIDs() {
        let text = """
            backend b
                server s1 10.0.0.1:80 id 1
                server s2 10.0.0.2:80
                server s1 10.0.0.3:80
                server s3 10.0.0.4:80 id 1
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:4] : 'server' : backend 'b' already has a server named 's1' (declared at e.cfg:2).",
                "parsing [e.cfg:5] : 'server s3' : id 1 is already used by server 's1' (declared at e.cfg:2).",
            ]
        )
    }

    @Test func duplicateProxyNamesPerCapability() {
        let text = """
            frontend web
                bind :80
            backend web
                server s 10.0.0.1:80
            backend web
                server s 10.0.0.1:80
            listen web
                bind :81
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:5] : backend 'web' has the same name as another backend declared at e.cfg:3.",
                "parsing [e.cfg:7] : listen 'web' has the same name as another frontend declared at e.cfg:1.",
            ]
        )
    }

    @Test func unknownDefaultsInFromAndBadSectionHeaders() {
        let text = """
            defaults base
            frontend f from nothere
                bind :80
            backend
            backend b/x
            frontend g extra
                bind :81
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:2] : 'frontend f' : unable to find defaults section 'nothere' referenced by 'from'.",
                "parsing [e.cfg:4] : 'backend' expects a <name> argument.",
                "parsing [e.cfg:5] : character '/' is not permitted in 'backend' name 'b/x'.",
                "parsing [e.cfg:6] : 'frontend g' : unexpected argument 'extra' (only 'from <defaults>' may follow the name).",
            ]
        )
    }

    @Test func unknownActionsAndBadVariableScopes() {
        let text = """
            frontend f
                mode http
                bind :80
                http-request frobnicate
                http-request lua.auth
                http-request set-var(foo.bar) str(x)
                http-request set-var(txn) str(x)
                http-request unset-var(sess.a,ifset)
                http-response set-path /x
                http-request set-headr X y
                tcp-request content lua.check
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:4] : 'http-request' : unknown action 'frobnicate' (expects one of add-header, allow, capture, del-header, deny, redirect, replace-header, replace-value, return, set-header, set-log-level, set-method, set-path, set-pathq, set-query, set-uri, set-var, set-var-fmt, unset-var, use-service).",
                "parsing [e.cfg:5] : 'http-request' : unknown action 'lua.auth' (no module registered it; is the script that declares it loaded?).",
                "parsing [e.cfg:6] : 'http-request set-var' : invalid variable scope 'foo' in 'foo.bar': expects proc, sess, txn, req or res.",
                "parsing [e.cfg:7] : 'http-request set-var' : invalid variable name 'txn': expects '<scope>.<name>' with scope proc, sess, txn, req or res.",
                "parsing [e.cfg:8] : 'http-request unset-var' : unexpected 'ifset' after the variable name.",
                "parsing [e.cfg:9] : 'http-response set-path' : action 'set-path' is not available in 'http-response' rules.",
                "parsing [e.cfg:10] : 'http-request' : unknown action 'set-headr' (expects one of add-header, allow, capture, del-header, deny, redirect, replace-header, replace-value, return, set-header, set-log-level, set-method, set-path, set-pathq, set-query, set-uri, set-var, set-var-fmt, unset-var, use-service); did you mean 'set-header' maybe ?",
                "parsing [e.cfg:11] : 'tcp-request content' : unknown action 'lua.check' (no module registered it; is the script that declares it loaded?).",
            ]
        )
    }

    @Test func actionArgumentCounts() {
        let text = """
            frontend f
                mode http
                bind :80
                http-request set-header X-Only-Name
                http-request set-header X-A b c
                http-request set-path if TRUE
                http-request add-header X-A b if
                http-request redirect location /x code 304
                http-request return status 200 string hello
                http-response set-status 99
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:4] : 'http-request set-header' expects exactly 2 arguments.",
                "parsing [e.cfg:5] : 'http-request set-header' expects exactly 2 arguments.",
                "parsing [e.cfg:6] : 'http-request set-path' expects exactly 1 argument.",
                "parsing [e.cfg:7] : 'http-request add-header' : missing condition after 'if'.",
                "parsing [e.cfg:8] : 'http-request redirect' : 'code' expects 301, 302, 303, 307 or 308, got '304'.",
                "parsing [e.cfg:9] : 'http-request return' : a 'content-type' must be defined with a payload.",
                "parsing [e.cfg:10] : 'http-response set-status' : value '99' is out of range (100-999).",
            ]
        )
    }

    @Test func serverParameterErrors() {
        let text = """
            backend b
                server s1 10.0.0.1:80 weight 300
                server s2 10.0.0.1:80 inter fast
                server s3 10.0.0.1:80 chek
                server s4 10.0.0.1:80 ssl verify none
                server s5 10.0.0.1:80 rise
                default-server id 3
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:2] : 'server s1 weight' : value '300' is out of range (0-256).",
                "parsing [e.cfg:3] : 'server s2 inter' : invalid time value 'fast' (expected a number with an optional unit).",
                "parsing [e.cfg:4] : 'server s3' : unknown keyword 'chek'; did you mean 'check' maybe ?",
                "parsing [e.cfg:5] : 'server s4' : 'ssl' : TLS is not supported yet.",
                "parsing [e.cfg:6] : 'server s5' : 'rise' expects an argument.",
                "parsing [e.cfg:7] : 'default-server' : 'id' is only allowed on 'server' lines.",
            ]
        )
    }

    @Test func unreadableErrorFiles() {
        let text = """
            defaults
                errorfile 503 /nonexistent/503.http
                errorfile 302 /nonexistent/302.http
            frontend f
                mode http
                bind :80
                http-request return status 200 content-type text/plain file /nonexistent/body.txt
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:2] : 'errorfile' : error opening file '/nonexistent/503.http' : No such file or directory.",
                "parsing [e.cfg:3] : 'errorfile' : status code '302' cannot be customized (expects one of 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504).",
                "parsing [e.cfg:7] : 'http-request return' : 'file' : error opening file '/nonexistent/body.txt' : No such file or directory.",
            ]
        )
    }

    @Test func optionErrors() {
        let text = """
            defaults
                option httplg
                no option httplog
                option forwardfor except notanetwork
                no frobnicate
                option redispatch now
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:2] : unknown option 'httplg'; did you mean 'httplog' maybe ?",
                "parsing [e.cfg:3] : negation is not supported for 'option httplog'.",
                "parsing [e.cfg:4] : 'option forwardfor' : 'except' expects a network (address[/mask]), got 'notanetwork'.",
                "parsing [e.cfg:5] : 'no' is only supported before 'option' and 'log'.",
                "parsing [e.cfg:6] : 'option redispatch' takes no argument (got 'now').",
            ]
        )
    }

    @Test func logErrors() {
        let text = """
            global
                log global
                log 127.0.0.1 local9
                log 127.0.0.1 local0 loud
                log ring@buf local0
                log 127.0.0.1
            """
        #expect(
            diagnostics(text) == [
                "parsing [e.cfg:2] : 'log global' is only valid in proxy sections.",
                "parsing [e.cfg:3] : 'log' : unknown log facility 'local9'; did you mean 'local0' maybe ?",
                "parsing [e.cfg:4] : 'log' : unknown log level 'loud' (expects one of emerg, alert, crit, err, warning, notice, info, debug).",
                "parsing [e.cfg:5] : 'log' : ring buffers ('ring@buf') are not supported.",
                "parsing [e.cfg:6] : 'log' expects '<target> [len <n>] [format <fmt>] <facility> [<max level> [<min level>]]' or 'global'.",
            ]
        )
    }

    @Test func severalErrorsFromOneFileAreAllCollectedInLineOrder() throws {
        let text = """
            global
                nbthread zero
                description "unterminated
            defaults
                mode ftp
                retries -1
            frontend f
                bind :80
                default_backend missing
            backend b
                balance magic
                hash-type rendezvous
                server s 10.0.0.1:80 weight x
            """
        let result = ConfigLoader.parse(text: text, file: "many.cfg")
        #expect(result.configuration == nil)
        #expect(result.alerts.count == 8)
        #expect(result.diagnostics.compactMap(\.location?.line) == [2, 3, 5, 6, 11, 12, 13, 9])
        #expect(result.diagnostics.allSatisfy { $0.location?.file == "many.cfg" })
        #expect(result.diagnostics[1].message == "unmatched double quote at position 17.")
        #expect(result.diagnostics[2].message == "'mode' : unknown proxy mode 'ftp' (expects 'http' or 'tcp').")
        #expect(result.diagnostics[4].message.hasPrefix("'balance' : unknown or unsupported algorithm 'magic'"))
    }
}
