import NIOCore
import Testing
import TidegateHTTP

@Suite("Response heads")
struct ResponseParsingTests {
    @Test func statusLineWithReason() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\n"
        let h = try head(text, .response)
        #expect(h.kind == .response)
        #expect(h.versionString == "HTTP/1.1")
        #expect(h.versionMinor == 1)
        #expect(h.status == 200)
        #expect(h.reason == "OK")
        #expect(fieldPairs(h) == [["Content-Length", "5"], ["Server", "x"]])
        #expect(h.receivedLength == text.utf8.count)
        #expect(written(h) == text)
    }

    @Test func reasonWithSpacesAndHTTP10() throws {
        let h = try head("HTTP/1.0 404 Not Found Here\r\n\r\n", .response)
        #expect(h.versionMinor == 0)
        #expect(h.versionString == "HTTP/1.0")
        #expect(h.status == 404)
        #expect(h.reason == "Not Found Here")
    }

    @Test(arguments: ["HTTP/1.1 204\r\n\r\n", "HTTP/1.1 204 \r\n\r\n", "HTTP/1.1 204\n\n"])
    func statusLineWithoutReason(text: String) throws {
        let h = try head(text, .response)
        #expect(h.status == 204)
        #expect(h.reason == "")
        #expect(written(h) == text)
    }

    @Test func bodyBytesAfterHeadAreLeftInBuffer() throws {
        var parser = HTTPHeadParser()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        let h = try #require(try parser.parse(&buffer, kind: .response))
        #expect(h.status == 200)
        #expect(buffer.readString(length: buffer.readableBytes) == "hello")
    }

    @Test func leadingEmptyLinesAreNotSkippedForResponses() {
        #expect(parseError("\r\nHTTP/1.1 200 OK\r\n\r\n", .response) != nil)
    }

    @Test(arguments: [
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 20x OK\r\n\r\n",
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 000 Zero\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "HTTP/1.1 -20 OK\r\n\r\n",
        "HTTP/1.1 \r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
    ])
    func invalidStatus(text: String) {
        #expect(parseError(text, .response) == .invalidStatus)
    }

    @Test(arguments: [
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1x 200 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n",
        "HTTP/1.1\r\n\r\n",
        "HTTP/1.1\t200 OK\r\n\r\n",
        " HTTP/1.1 200 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
    ])
    func invalidResponseVersion(text: String) {
        #expect(parseError(text, .response) == .invalidVersion)
    }

    @Test func controlBytesInReason() {
        #expect(parseError(bytes("HTTP/1.1 200 O") + [0] + bytes("K\r\n\r\n"), .response) == .invalidStartLine)
        #expect(parseError(bytes("HTTP/1.1 200 O") + [0x01] + bytes("K\r\n\r\n"), .response) == .invalidStartLine)
        // A bare CR inside the reason phrase could be taken as a line end downstream.
        #expect(parseError("HTTP/1.1 200 O\rK\r\n\r\n", .response) == .invalidStartLine)
        #expect(parseError("HTTP/1.1 200 OK\r\r\n\r\n", .response) == .invalidStartLine)
        // Tabs and obs-text are allowed.
        let tab = parseAllWays(bytes("HTTP/1.1 200 O\tK \u{e9}\r\n\r\n"), kind: .response).1
        #expect(tab?.reason == "O\tK \u{e9}")
    }

    @Test func responseHeaderErrors() {
        #expect(parseError("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", .response) == .invalidFieldName)
        #expect(parseError("HTTP/1.1 200 OK\r\nA: x\r\n y\r\n\r\n", .response) == .obsoleteLineFolding)
        #expect(parseError(bytes("HTTP/1.1 200 OK\r\nA: x") + [0] + bytes("\r\n\r\n"), .response) == .invalidFieldValue)
        #expect(parseError("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", .response, maxFields: 1) == .tooManyHeaders)
    }

    @Test func interimThenFinalResponseInOneBuffer() throws {
        var parser = HTTPHeadParser()
        var buffer = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        let interim = try #require(try parser.parse(&buffer, kind: .response))
        #expect(interim.status == 100)
        #expect(interim.reason == "Continue")
        let final = try #require(try parser.parse(&buffer, kind: .response))
        #expect(final.status == 200)
        #expect(buffer.readableBytes == 0)
    }

    @Test func highStatusCodes() throws {
        #expect(try head("HTTP/1.1 599 Custom\r\n\r\n", .response).status == 599)
        #expect(try head("HTTP/1.1 100 Continue\r\n\r\n", .response).status == 100)
        #expect(try head("HTTP/1.1 999 X\r\n\r\n", .response).status == 999)
    }
}
