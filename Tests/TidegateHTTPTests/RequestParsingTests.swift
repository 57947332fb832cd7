import NIOCore
import Testing
import TidegateHTTP

@Suite("Request heads")
struct RequestParsingTests {
    @Test func simpleGet() throws {
        let text = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
        let h = try head(text)
        #expect(h.kind == .request)
        #expect(h.method == "GET")
        #expect(h.methodIs("GET"))
        #expect(!h.methodIs("GE"))
        #expect(!h.methodIs("get"))
        #expect(!h.methodIs("POST"))
        #expect(Array(h.methodBytes) == bytes("GET"))
        #expect(h.target == "/index.html")
        #expect(Array(h.targetBytes) == bytes("/index.html"))
        #expect(h.path == "/index.html")
        #expect(h.query == nil)
        #expect(h.versionString == "HTTP/1.1")
        #expect(h.versionMinor == 1)
        #expect(h.status == 0)
        #expect(h.receivedLength == text.utf8.count)
        #expect(!h.isModified)
        #expect(fieldPairs(h) == [["Host", "example.com"], ["Accept", "*/*"]])
        #expect(written(h) == text)
        #expect(h.description == text)
    }

    @Test func fieldLookups() throws {
        let h = try head(
            "GET / HTTP/1.1\r\nHost: a\r\nX-List: one, two ,three\r\nx-list: four\r\nX-Empty:\r\nX-Commas: a,,b\r\n\r\n"
        )
        #expect(h.field(0, isNamed: "host"))
        #expect(h.field(0, isNamed: "HOST"))
        #expect(!h.field(0, isNamed: "hos"))
        #expect(!h.field(0, isNamed: "hostx"))
        #expect(h.indexes(named: "X-LIST") == [1, 2])
        #expect(h.firstIndex(named: "x-list") == 1)
        #expect(h.firstIndex(named: "missing") == nil)
        #expect(h.fullValues(named: "x-list") == ["one, two ,three", "four"])
        #expect(h.splitValues(named: "x-list") == ["one", "two", "three", "four"])
        #expect(h.splitValues(named: "x-commas") == ["a", "", "b"])
        #expect(h.firstValue(named: "X-Empty") == "")
        #expect(h.firstValue(named: "nope") == nil)
        #expect(h.hasToken("two", inFieldNamed: "X-List"))
        #expect(h.hasToken("four", inFieldNamed: "x-list"))
        #expect(!h.hasToken("fou", inFieldNamed: "x-list"))
        #expect(Array(h.valueBytes(at: 0)) == bytes("a"))
        #expect(h.name(at: 2) == "x-list")
    }

    @Test func leadingEmptyLinesAreSkipped() throws {
        let text = "\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let h = try head(text)
        #expect(h.method == "GET")
        #expect(h.receivedLength == text.utf8.count - 5)
        // The empty lines are not part of the head that is forwarded.
        #expect(written(h) == "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let (outcome, _) = parseAllWays(bytes(text), kind: .request)
        if case .head(let sig) = outcome { #expect(sig.consumed == text.utf8.count) }
    }

    @Test func onlyEmptyLinesNeedMoreBytes() throws {
        let (outcome, _) = parseAllWays(bytes("\r\n\r\n\r\n"), kind: .request)
        #expect(outcome == .incomplete)
        var parser = HTTPHeadParser()
        var buffer = ByteBuffer(string: "\r\n\n")
        #expect(try parser.parse(&buffer, kind: .request) == nil)
        #expect(buffer.readableBytes == 0)
        var empty = ByteBuffer()
        #expect(try parser.parse(&empty, kind: .request) == nil)
    }

    @Test func incompleteHeadReturnsNilAndLeavesBuffer() throws {
        var parser = HTTPHeadParser()
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n")
        #expect(try parser.parse(&buffer, kind: .request) == nil)
        #expect(buffer.readerIndex == 0)
        buffer.writeString("\r")
        #expect(try parser.parse(&buffer, kind: .request) == nil)
        buffer.writeString("\nBODY")
        let h = try #require(try parser.parse(&buffer, kind: .request))
        #expect(h.firstValue(named: "host") == "a")
        #expect(buffer.readableBytes == 4)
        #expect(buffer.readString(length: 4) == "BODY")
    }

    @Test func absoluteFormTarget() throws {
        let h = try head("GET http://h/p?q HTTP/1.1\r\n\r\n")
        #expect(h.target == "http://h/p?q")
        #expect(h.path == "/p")
        #expect(h.query == "q")

        let withPort = try head("GET https://example.com:8443/a/b/c?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(withPort.path == "/a/b/c")
        #expect(withPort.query == "x=1&y=2")

        let noPath = try head("GET http://h HTTP/1.1\r\n\r\n")
        #expect(noPath.path == "")
        #expect(noPath.query == nil)

        let queryOnly = try head("GET http://h?q=1 HTTP/1.1\r\n\r\n")
        #expect(queryOnly.path == "")
        #expect(queryOnly.query == "q=1")
    }

    @Test func originFormPathAndQuery() throws {
        let h = try head("GET /a/b?c=d?e HTTP/1.1\r\n\r\n")
        #expect(h.path == "/a/b")
        #expect(h.query == "c=d?e")
        let emptyQuery = try head("GET /a? HTTP/1.1\r\n\r\n")
        #expect(emptyQuery.path == "/a")
        #expect(emptyQuery.query == "")
    }

    @Test func asteriskAndAuthorityForm() throws {
        let options = try head("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(options.method == "OPTIONS")
        #expect(options.target == "*")
        #expect(options.path == "*")
        #expect(options.query == nil)

        let connect = try head("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        #expect(connect.methodIs("CONNECT"))
        #expect(connect.target == "example.com:443")
    }

    @Test func http10() throws {
        let h = try head("GET / HTTP/1.0\r\n\r\n")
        #expect(h.versionMinor == 0)
        #expect(h.versionString == "HTTP/1.0")
        #expect(h.fields.isEmpty)
    }

    @Test func headerWhitespaceHandling() throws {
        let text = "GET / HTTP/1.1\r\nA:x\r\nB: y\r\nC:\t z \t\r\nD:   spaced   value   \r\nE:\r\nF:   \r\n\r\n"
        let h = try head(text)
        #expect(
            fieldPairs(h) == [
                ["A", "x"], ["B", "y"], ["C", "z"], ["D", "spaced   value"], ["E", ""], ["F", ""],
            ])
        // Unedited: forwarded exactly, odd spacing included.
        #expect(written(h) == text)
    }

    @Test func valueWithObsTextAndTabsInside() throws {
        var input = bytes("GET / HTTP/1.1\r\nX: a\tb ")
        input += [0x80, 0xC3, 0xA9, 0xFF]
        input += bytes(" c\r\n\r\n")
        let (outcome, parsed) = parseAllWays(input, kind: .request)
        let h = try #require(parsed, "\(outcome)")
        #expect(Array(h.valueBytes(at: 0)) == bytes("a\tb ") + [0x80, 0xC3, 0xA9, 0xFF] + bytes(" c"))
    }

    @Test func bareLFLineEndings() throws {
        let text = "GET /lf HTTP/1.1\nHost: a\nX-Y: z\n\n"
        let h = try head(text)
        #expect(h.target == "/lf")
        #expect(h.versionMinor == 1)
        #expect(fieldPairs(h) == [["Host", "a"], ["X-Y", "z"]])
        #expect(h.receivedLength == text.utf8.count)
        #expect(written(h) == text)

        let mixed = try head("GET /m HTTP/1.1\r\nA: 1\nB: 2\r\n\n")
        #expect(fieldPairs(mixed) == [["A", "1"], ["B", "2"]])
        let mixedEnd = try head("GET /m HTTP/1.1\nA: 1\n\r\n")
        #expect(fieldPairs(mixedEnd) == [["A", "1"]])
    }

    /// A request head of exactly `size` bytes (padding one header value).
    static func request(ofSize size: Int) -> String {
        let prefix = "GET / HTTP/1.1\r\nX-Pad: "
        let suffix = "\r\n\r\n"
        return prefix + String(repeating: "p", count: size - prefix.utf8.count - suffix.utf8.count) + suffix
    }

    @Test(arguments: [64, 200, 1000])
    func headSizeLimit(size: Int) throws {
        let text = Self.request(ofSize: size)
        #expect(text.utf8.count == size)
        let exact = try head(text, maxHeadSize: size)
        #expect(exact.receivedLength == size)
        #expect(parseError(text, maxHeadSize: size - 1) == .headTooLarge)
        // Body bytes after the head do not count.
        let (outcome, _) = parseAllWays(
            bytes(text + String(repeating: "b", count: 50)), kind: .request, maxHeadSize: size)
        if case .head(let sig) = outcome { #expect(sig.consumed == size) } else { Issue.record("\(outcome)") }
    }

    @Test func unterminatedHeadTooLarge() {
        let partial = bytes("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100))
        #expect(parseAllWays(partial, kind: .request, maxHeadSize: partial.count).0 == .incomplete)
        #expect(parseError(partial, maxHeadSize: partial.count - 1) == .headTooLarge)
        // Default limit: a megabyte of header without an end is refused.
        let big = bytes("GET / HTTP/1.1\r\nX: ") + [UInt8](repeating: UInt8(ascii: "a"), count: defaultMaxHeadSize)
        #expect(feed(big, kind: .request, step: 0).0 == .failure(.headTooLarge))
        #expect(feed(big, kind: .request, step: 997).0 == .failure(.headTooLarge))
    }

    @Test func fieldCountLimit() throws {
        func request(fields: Int) -> String {
            "GET / HTTP/1.1\r\n" + (0..<fields).map { "H\($0): v\r\n" }.joined() + "\r\n"
        }
        let atLimit = try head(request(fields: 5), maxFields: 5)
        #expect(atLimit.fields.count == 5)
        #expect(parseError(request(fields: 6), maxFields: 5) == .tooManyHeaders)
        #expect(try head(request(fields: 101)).fields.count == 101)
        #expect(parseError(request(fields: 102)) == .tooManyHeaders)
        #expect(try head("GET / HTTP/1.1\r\n\r\n", maxFields: 0).fields.isEmpty)
        #expect(parseError("GET / HTTP/1.1\r\nA: b\r\n\r\n", maxFields: 0) == .tooManyHeaders)
    }

    @Test(arguments: [
        "G(T / HTTP/1.1\r\n\r\n",
        "GE\"T / HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "G@T / HTTP/1.1\r\n\r\n",
        "GET/ HTTP/1.1\r\n\r\n",
        "/ HTTP/1.1\r\n\r\n",
        "GET\r\n\r\n",
    ])
    func invalidMethod(text: String) {
        #expect(parseError(text) == .invalidMethod)
    }

    @Test func unusualButValidMethods() throws {
        for method in ["PROPFIND", "M-SEARCH", "X!#$%&'*+-.^_`|~9", "get", "BREW"] {
            let h = try head("\(method) / HTTP/1.1\r\n\r\n")
            #expect(h.method == method)
        }
    }

    @Test(arguments: [
        "GET /a\u{7f} HTTP/1.1\r\n\r\n",
        "GET /a\u{01}b HTTP/1.1\r\n\r\n",
    ])
    func invalidTarget(text: String) {
        #expect(parseError(text) == .invalidTarget)
    }

    /// Extra whitespace in the start line is refused (HAProxy would accept runs of SP/HT as one
    /// separator; the error code is left open here).
    @Test(arguments: ["GET  / HTTP/1.1\r\n\r\n", "GET\t/ HTTP/1.1\r\n\r\n", "GET /a\tb HTTP/1.1\r\n\r\n"])
    func extraStartLineWhitespaceIsRefused(text: String) {
        #expect(parseError(text) != nil)
    }

    @Test func controlByteInTarget() {
        #expect(parseError(bytes("GET /a") + [0] + bytes(" HTTP/1.1\r\n\r\n")) == .invalidTarget)
        #expect(parseError(bytes("GET /a") + [0x01] + bytes(" HTTP/1.1\r\n\r\n")) == .invalidTarget)
    }

    @Test(arguments: [
        "Host : a",
        "Ho st: a",
        ": a",
        "Host",
        "Ho\"st: a",
        "Host(x): a",
        "Host\t: a",
        "Ho/st: a",
    ])
    func invalidFieldName(line: String) {
        #expect(parseError("GET / HTTP/1.1\r\n\(line)\r\n\r\n") == .invalidFieldName)
    }

    @Test func obsoleteLineFolding() {
        #expect(parseError("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n") == .obsoleteLineFolding)
        #expect(parseError("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n") == .obsoleteLineFolding)
        #expect(parseError("GET / HTTP/1.1\nX: a\n b\n\n") == .obsoleteLineFolding)
        // Whitespace right after the start line.
        #expect(parseError("GET / HTTP/1.1\r\n Host: a\r\n\r\n") == .obsoleteLineFolding)
    }

    @Test(arguments: [UInt8(0), 0x01, 0x08, 0x0B, 0x0C, 0x1F, 0x7F, UInt8(ascii: "\r")])
    func invalidFieldValueByte(byte: UInt8) {
        let input = bytes("GET / HTTP/1.1\r\nX: a") + [byte] + bytes("b\r\n\r\n")
        #expect(parseError(input) == .invalidFieldValue)
        let atStart = bytes("GET / HTTP/1.1\r\nX: ") + [byte] + bytes("b\r\n\r\n")
        #expect(parseError(atStart) == .invalidFieldValue)
    }

    @Test func crBeforeBlankLine() {
        // A bare CR ending a value line.
        #expect(parseError("GET / HTTP/1.1\r\nX: a\r\r\n\r\n") == .invalidFieldValue)
    }

    @Test(arguments: [
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1x\r\n\r\n",
        "GET / HTTP/1.\r\n\r\n",
        "GET / HTTP/1.x\r\n\r\n",
        "GET / HTTP/11\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "GET / HTTP/1.1 extra\r\n\r\n",
        "GET / HTTPS/1.1\r\n\r\n",
        "GET / \r\n\r\n",
        "GET / HTTP/0.9\r\n\r\n",
    ])
    func invalidVersion(text: String) {
        #expect(parseError(text) == .invalidVersion)
    }

    @Test(arguments: ["GET /\r\n\r\n", "GET /\n\n", "GET /index.html\r\nHost: a\r\n\r\n"])
    func http09StyleRequestIsRejected(text: String) {
        let code = parseError(text)
        #expect(code == .invalidVersion || code == .invalidStartLine, "got \(String(describing: code))")
    }

    @Test func bareCRInStartLineIsRejected() {
        let code = parseError("GET / HTTP/1.1\r\r\n\r\n")
        #expect(code == .invalidStartLine || code == .invalidVersion, "got \(String(describing: code))")
        #expect(parseError(bytes("GET / HTTP/1.1") + [0] + bytes("\r\n\r\n")) != nil)
    }

    @Test func laterMinorVersionIsAccepted() throws {
        // HTTP/1.x with another minor digit is handled as 1.x, as HAProxy does.
        let h = try head("GET / HTTP/1.2\r\n\r\n")
        #expect(h.versionMinor == 2)
    }

    @Test func pipelinedRequestsWhole() throws {
        let first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        let second = "POST /2 HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
        let third = "\r\nHEAD /3 HTTP/1.0\n\n"
        let partial = "GET /4 HTTP/1.1\r\nHo"
        var buffer = ByteBuffer(string: first + second + third + partial)
        var parser = HTTPHeadParser()

        let h1 = try #require(try parser.parse(&buffer, kind: .request))
        #expect(h1.target == "/1")
        #expect(buffer.readerIndex == first.utf8.count)
        let h2 = try #require(try parser.parse(&buffer, kind: .request))
        #expect(h2.target == "/2")
        #expect(h2.methodIs("POST"))
        #expect(buffer.readerIndex == (first + second).utf8.count)
        let h3 = try #require(try parser.parse(&buffer, kind: .request))
        #expect(h3.target == "/3")
        #expect(h3.versionMinor == 0)
        #expect(written(h3) == "HEAD /3 HTTP/1.0\n\n")
        #expect(buffer.readerIndex == (first + second + third).utf8.count)
        #expect(try parser.parse(&buffer, kind: .request) == nil)
        #expect(buffer.readerIndex == (first + second + third).utf8.count)
        buffer.writeString("st: b\r\n\r\n")
        let h4 = try #require(try parser.parse(&buffer, kind: .request))
        #expect(h4.target == "/4")
        #expect(h4.firstValue(named: "host") == "b")
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [1, 2, 3, 7, 13])
    func pipelinedRequestsInPieces(step: Int) throws {
        let text =
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n\r\n\r\nPUT /3 HTTP/1.1\nA: b\n\nDELETE /4?x HTTP/1.1\r\n\r\n"
        let input = bytes(text)
        var parser = HTTPHeadParser()
        var buffer = ByteBuffer()
        var targets: [String] = []
        var offsets: [Int] = []
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + step)
            buffer.writeBytes(input[offset..<end])
            offset = end
            while let h = try parser.parse(&buffer, kind: .request) {
                targets.append(h.target)
                offsets.append(buffer.readerIndex)
            }
        }
        #expect(targets == ["/1", "/2", "/3", "/4?x"])
        #expect(offsets.last == input.count)

        // Same offsets as whole-buffer parsing.
        var wholeParser = HTTPHeadParser()
        var whole = ByteBuffer(bytes: input)
        var wholeOffsets: [Int] = []
        while (try wholeParser.parse(&whole, kind: .request)) != nil { wholeOffsets.append(whole.readerIndex) }
        #expect(wholeOffsets == offsets)
    }

    @Test func resetForgetsScanPosition() throws {
        var parser = HTTPHeadParser()
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n")
        #expect(try parser.parse(&buffer, kind: .request) == nil)
        parser.reset()
        var other = ByteBuffer(string: "GET /x HTTP/1.1\r\n\r\n")
        let h = try #require(try parser.parse(&other, kind: .request))
        #expect(h.target == "/x")
    }

    @Test func parseErrorDescription() {
        let error = HTTPParseError(.invalidMethod, offset: 3)
        #expect(error.description == "invalid method at byte 3")
        #expect(error == HTTPParseError(.invalidMethod, offset: 3))
        #expect(error != HTTPParseError(.invalidMethod, offset: 4))
        #expect(HTTPParseError(.headTooLarge).offset == 0)
    }
}
