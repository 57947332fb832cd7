import NIOCore
import Testing
import TidegateHTTP

@Suite("Error pages and status phrases")
struct ErrorPageTests {
    static let codes = [
        200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504, 418, 599,
    ]

    @Test(arguments: codes)
    func defaultResponseParsesBack(code: Int) throws {
        let page = HTTPErrorPage.defaultResponse(for: code)
        let input = Array(page.readableBytesView)
        let (outcome, parsed) = parseAllWays(input, kind: .response)
        var h = try #require(parsed, "\(outcome)")
        #expect(h.status == code)
        #expect(h.versionMinor == 1)
        #expect(h.reason == HTTPErrorPage.pagePhrase(for: code))
        #expect(h.firstValue(named: "content-type") == "text/html")
        #expect(h.firstValue(named: "cache-control") == "no-cache")
        let body = Array(input[h.receivedLength...])
        #expect(h.firstValue(named: "content-length") == String(body.count))
        #expect(responseFraming(&h) == .success(.length(UInt64(body.count))))
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix("<html><body><h1>\(code) \(HTTPErrorPage.pagePhrase(for: code))</h1>\n"))
        #expect(text.hasSuffix("\n</body></html>\n"))
        // Unedited: re-written byte for byte.
        #expect(writtenBytes(h) == Array(input[..<h.receivedLength]))
    }

    @Test func haproxy400PageIsIdentical() {
        let page = HTTPErrorPage.defaultResponse(for: 400)
        let expected =
            "HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
            + "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n"
        #expect(String(buffer: page) == expected)
    }

    @Test func haproxy503PageIsIdentical() {
        let page = HTTPErrorPage.defaultResponse(for: 503)
        let expected =
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
            + "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
        #expect(String(buffer: page) == expected)
    }

    @Test func customResponse() throws {
        let body = "h\u{e9}llo \u{1F30A}"
        let page = HTTPErrorPage.response(
            status: 302, reason: "Moved", contentType: nil, body: body, extraHeaders: ["location: /x", "x-a: b"])
        #expect(
            String(buffer: page)
                == "HTTP/1.1 302 Moved\r\ncontent-length: \(body.utf8.count)\r\nlocation: /x\r\nx-a: b\r\n\r\n\(body)")
        var h = try #require(parseAllWays(Array(page.readableBytesView), kind: .response).1)
        #expect(h.status == 302)
        #expect(h.firstValue(named: "content-type") == nil)
        #expect(responseFraming(&h) == .success(.length(UInt64(body.utf8.count))))

        let empty = HTTPErrorPage.response(status: 204, contentType: "text/plain", body: "")
        #expect(
            String(buffer: empty) == "HTTP/1.1 204 No Content\r\ncontent-length: 0\r\ncontent-type: text/plain\r\n\r\n")
    }

    @Test func statusPhrases() {
        // The registry's phrases (HAProxy's `set-status` without a reason), class phrases otherwise.
        #expect(HTTPStatusPhrase.phrase(for: 200) == "OK")
        #expect(HTTPStatusPhrase.phrase(for: 400) == "Bad Request")
        #expect(HTTPStatusPhrase.phrase(for: 404) == "Not Found")
        #expect(HTTPStatusPhrase.phrase(for: 418) == "I'm a teapot")
        #expect(HTTPStatusPhrase.phrase(for: 502) == "Bad Gateway")
        #expect(HTTPStatusPhrase.phrase(for: 499) == "Client Error")
        #expect(HTTPStatusPhrase.phrase(for: 599) == "Server Error")
        #expect(HTTPStatusPhrase.phrase(for: 0) == "Other")
        #expect(HTTPStatusPhrase.phrase(for: 799) == "Other")
    }

    @Test func builtInPagePhrases() {
        // HAProxy's built-in error pages keep their historical spelling for these.
        #expect(HTTPErrorPage.pagePhrase(for: 400) == "Bad request")
        #expect(HTTPErrorPage.pagePhrase(for: 408) == "Request Time-out")
        #expect(HTTPErrorPage.pagePhrase(for: 504) == "Gateway Time-out")
        #expect(HTTPErrorPage.pagePhrase(for: 503) == "Service Unavailable")
        #expect(String(buffer: HTTPErrorPage.defaultResponse(for: 408)).hasPrefix("HTTP/1.1 408 Request Time-out\r\n"))
    }
}
