import NIOCore
import Testing

@testable import TidegateCore

@Suite("Log formats")
struct LogFormatTests {
    /// The stream of the `option httplog` example in HAProxy's manual (section 8.2.3).
    func httpExample() throws -> SampleContext {
        let context = SampleContext(
            frontendName: "http-in", clientAddress: try SocketAddress(ipAddress: "10.0.1.2", port: 33317),
            localAddress: try SocketAddress(ipAddress: "10.0.3.31", port: 80), processVariables: ProcessVariables())
        context.request = makeRequest("GET /index.html HTTP/1.1\nHost: 1wt.eu")
        context.backendName = "static"
        context.serverName = "srv1"
        var info = StreamLogInfo()
        info.acceptDate = 1_233_922_454_655_000  // 2009-02-06 12:14:14.655 UTC
        info.handshakeTime = 0
        info.idleTime = 0
        info.requestTime = 10
        info.queueTime = 0
        info.connectTime = 30
        info.responseTime = 69
        info.totalTime = 109
        info.status = 200
        info.bytesOut = 2750
        info.activeConnections = 1
        info.frontendConnections = 1
        info.backendConnections = 1
        info.serverConnections = 1
        info.requestLine = "GET /index.html HTTP/1.1"
        info.capturedRequestHeaders = ["1wt.eu"]
        info.capturedResponseHeaders = [nil]
        context.logInfo = info
        return context
    }

    func render(_ format: LogFormat, _ context: SampleContext) -> String {
        var format = format
        format.timeZone = .fixed(offsetSeconds: 0)
        return format.render(in: context)
    }

    func render(_ text: String, _ context: SampleContext, options: LogFormat.Options = .logFormat) throws -> String {
        render(try LogFormat(text, options: options), context)
    }

    @Test func httplogMatchesHAProxyLayout() throws {
        #expect(
            render(.httpLog, try httpExample())
                == "10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- "
                + "1/1/1/1/0 0/0 {1wt.eu} {} \"GET /index.html HTTP/1.1\"")
    }

    @Test func httplogCLF() throws {
        #expect(
            render(.httpLogCLF, try httpExample())
                == "10.0.1.2 - - [06/Feb/2009:12:14:14 +0000] \"GET /index.html HTTP/1.1\" 200 2750 \"\" \"\" 33317 655 "
                + "\"http-in\" \"static\" \"srv1\" 10 0 30 69 109 ---- 1 1 1 1 0 0 0 \"\" \"\" \"1wt.eu\" \"\"")
    }

    @Test func httplogWithoutCapturesOrServer() throws {
        // As the "<BADREQ>" example of HAProxy's manual: no server, no response, no request line.
        let context = SampleContext(
            frontendName: "px-http", clientAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 34550),
            processVariables: ProcessVariables())
        var info = StreamLogInfo()
        info.acceptDate = 1_066_231_468_312_000
        info.totalTime = 8490
        info.terminationState = "CR"
        info.activeConnections = 2
        info.frontendConnections = 2
        info.backendConnections = 2
        context.logInfo = info
        #expect(
            render(.httpLog, context)
                == "127.0.0.1:34550 [15/Oct/2003:15:24:28.312] px-http px-http/<NOSRV> -1/-1/-1/-1/8490 -1 0 - - CR-- "
                + "2/2/2/0/0 0/0 \"<BADREQ>\"")
    }

    @Test func tcplog() throws {
        let context = SampleContext(
            frontendName: "fnt", clientAddress: try SocketAddress(ipAddress: "10.0.1.2", port: 33313),
            processVariables: ProcessVariables())
        context.backendName = "bck"
        context.serverName = "srv1"
        var info = StreamLogInfo()
        info.acceptDate = 1_233_922_371_443_000
        info.queueTime = 0
        info.connectTime = 0
        info.totalTime = 5007
        info.bytesOut = 212
        info.retries = 3
        info.status = 0
        context.logInfo = info
        #expect(
            render(.tcpLog, context)
                == "10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0")
        info.isPartial = true
        info.redispatched = true
        context.logInfo = info
        #expect(try render("%Tt %B %rc %U", context) == "+5007 +212 +3 0")
    }

    @Test func timersAreDerivedAsHAProxy() throws {
        let context = try httpExample()
        context.logInfo.handshakeTime = 2
        context.logInfo.idleTime = 5
        context.logInfo.totalTime = 200
        #expect(
            try render("%Th %Ti %TR %Tq %Tw %Tc %Tr %Ta %Tt %Tu %Td", context) == "2 5 10 17 0 30 69 193 200 195 84")
        #expect(try render("%t|%tr", context) == "06/Feb/2009:12:14:14.655|06/Feb/2009:12:14:14.662")
    }

    @Test func dates() throws {
        let context = try httpExample()
        #expect(try render("%T", context) == "06/Feb/2009:12:14:14 +0000")
        #expect(try render("%Ts %{+X}Ts %ms %{+X}ms", context) == "1233922454 498C2996 655 28F")
        var local = try LogFormat("%t %Tl %trl")
        local.timeZone = .fixed(offsetSeconds: 3600 + 1800)
        #expect(
            local.render(in: context)
                == "06/Feb/2009:13:44:14.655 06/Feb/2009:13:44:14 +0130 06/Feb/2009:13:44:14 +0130")
        local.timeZone = .fixed(offsetSeconds: -18000)
        #expect(
            local.render(in: context)
                == "06/Feb/2009:07:14:14.655 06/Feb/2009:07:14:14 -0500 06/Feb/2009:07:14:14 -0500")
    }

    @Test func flagsQuotesAndHex() throws {
        let context = try httpExample()
        #expect(try render("%{+X}ci:%{+X}cp", context) == "0A000102:8225")
        #expect(try render("%{+Q}b %{+Q}ft %s", context) == "\"static\" \"http-in\" srv1")
        #expect(try render("%{+Q}o %b %{-Q}s", context) == "\"static\" srv1")
        #expect(try render("%fi:%fp %f %ID", context) == "10.0.3.31:80 http-in -")
        #expect(try render("%bi %si %{+Q}CC", context) == "- - \"\"")
        #expect(try render("100%% %[path]", context) == "100% /index.html")
        #expect(try render("%-x", context) == "-x")
        #expect(try render("%[req.hdr(missing)] %{+Q}[req.hdr(missing)] [%[str(a)]]", context) == "- \"\" [a]")
        #expect(try render("%{+E}[str(a\\]b)]", context) == "a\\]b")
        #expect(
            try render("%HM %HU %HP %HQ %HV", makeRequestLine("GET /a/b?x=1 HTTP/1.1"))
                == "GET /a/b?x=1 /a/b ?x=1 HTTP/1.1")
        #expect(try render("%HPO", makeRequestLine("GET http://h/a/b?x=1 HTTP/1.1")) == "/a/b")
        #expect(try render("%{+Q}r", makeRequestLine("GET /\"#\u{7f} HTTP/1.1")) == "\"GET /#22#23#7F HTTP/1.1\"")
        #expect(try render("%hrl|%hsl", context) == "1wt.eu|-")
        context.logInfo.capturedRequestHeaders = ["a|b{c}", "x"]
        #expect(try render("%hr", context) == "{a#7Cb#7Bc#7D|x}")
    }

    func makeRequestLine(_ line: String) -> SampleContext {
        let context = SampleContext(frontendName: "fe", processVariables: ProcessVariables())
        context.logInfo.requestLine = line
        return context
    }

    @Test func spacesMergeAndEmptyFieldsVanish() throws {
        let context = try httpExample()
        context.logInfo.capturedRequestHeaders = nil
        context.logInfo.capturedResponseHeaders = nil
        #expect(try render("%b   %hr %hs %s", context) == "static srv1")
        #expect(try render("%b %s", context, options: .plain) == "static srv1")
        #expect(try render("a  b", context, options: .plain) == "a  b")
        #expect(try render("x=%[req.hdr(host)] y=%[req.hdr(nope)]", context, options: .httpValue) == "x=1wt.eu y=")
        #expect(try render("%[bin(41000a42)]", context, options: .httpValue) == "A")
        #expect(try render("%[str(a),concat(\"\t\")]%[bin(0d)]", context, options: .httpValue) == "a\t%0D")
    }

    @Test func expressionsUseTheRequestInLogs() throws {
        let context = try httpExample()
        context.response = makeResponse("HTTP/1.1 200 OK\nServer: s")
        context.direction = .response
        #expect(try render("%[hdr(host)] %[res.hdr(server)] %[status]", context) == "1wt.eu s 200")
        #expect(context.direction == .response)
    }

    @Test func errors() {
        func code(_ text: String, _ options: LogFormat.Options = .logFormat) -> SampleCompileError.Code? {
            do {
                _ = try LogFormat(text, options: options)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code("%zz") == .invalidFormat)
        #expect(code("%[path") == .invalidFormat)
        #expect(code("%[path x]") == .invalidFormat)
        #expect(code("%[nofetch]") == .unknownFetch)
        #expect(code("%{+Q}") == .invalidFormat)
        #expect(code("%{+Q") == .invalidFormat)
        #expect(code("50% off") == .invalidFormat)
        #expect(code("end %") == .invalidFormat)
        #expect(code("%r", .tcpLogFormat) == .invalidFormat)
        #expect(code("%ci %B", .tcpLogFormat) == nil)
        #expect(code(LogFormat.httpLogFormat) == nil)
    }

    @Test func predefinedFormatStrings() {
        #expect(
            LogFormat.httpLogFormat
                == "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
        )
        #expect(LogFormat.tcpLogFormat == "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq")
        #expect(LogFormat.tcpLog.variables.contains(.totalTime))
    }

    @Test func connectLine() throws {
        let context = try httpExample()
        #expect(
            LogFormat.connectLine(context, httpMode: true)
                == "Connect from 10.0.1.2:33317 to 10.0.3.31:80 (http-in/HTTP)")
        #expect(LogFormat.connectLine(context, httpMode: false).hasSuffix("(http-in/TCP)"))
    }

    @Test func rendersIntoByteBuffer() throws {
        let context = try httpExample()
        var out = ByteBuffer(string: "<134>")
        var format = LogFormat.tcpLog
        format.timeZone = .fixed(offsetSeconds: 0)
        format.render(in: context, into: &out)
        #expect(
            String(buffer: out).hasPrefix(
                "<134>10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 0/30/109 2750"))
    }
}
