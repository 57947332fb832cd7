import NIOCore
import Testing
import TidegateHTTP

@Suite("Body framing")
struct BodyFramingTests {
    func request(_ fields: String, version: String = "HTTP/1.1", method: String = "POST") throws -> HTTPHead {
        try head("\(method) /upload \(version)\r\nHost: a\r\n\(fields)\r\n")
    }

    func response(_ status: String, _ fields: String, version: String = "HTTP/1.1") throws -> HTTPHead {
        try head("\(version) \(status)\r\n\(fields)\r\n", .response)
    }

    func requestResult(_ fields: String, version: String = "HTTP/1.1") throws -> Result<HTTPBodyFraming, HTTPParseError>
    {
        var h = try request(fields, version: version)
        return requestFraming(&h)
    }

    func responseResult(_ status: String = "200 OK", _ fields: String, isHead: Bool = false) throws -> Result<
        HTTPBodyFraming, HTTPParseError
    > {
        var h = try response(status, fields)
        return responseFraming(&h, isHeadRequest: isHead)
    }

    // MARK: Requests

    @Test func requestWithoutBody() throws {
        var h = try head("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(requestFraming(&h) == .success(.none))
        #expect(!h.isModified)
        var h10 = try head("GET / HTTP/1.0\r\n\r\n")
        #expect(requestFraming(&h10) == .success(.none))
    }

    @Test func requestContentLength() throws {
        #expect(try requestResult("Content-Length: 10\r\n") == .success(.length(10)))
        #expect(try requestResult("content-length:0\r\n") == .success(.none))
        #expect(try requestResult("CONTENT-LENGTH:   007  \r\n") == .success(.length(7)))
        #expect(try requestResult("Content-Length: 10\r\n", version: "HTTP/1.0") == .success(.length(10)))
        #expect(
            try requestResult("Content-Length: 9999999999999999999\r\n") == .success(.length(9_999_999_999_999_999_999))
        )
    }

    @Test func repeatedContentLength() throws {
        #expect(try requestResult("Content-Length: 5, 5\r\n") == .success(.length(5)))
        #expect(try requestResult("Content-Length: 5,5,5\r\n") == .success(.length(5)))
        #expect(try requestResult("Content-Length: 5\r\nContent-Length: 5\r\n") == .success(.length(5)))
        #expect(try requestResult("Content-Length: 5\r\nX: y\r\ncontent-length: 05\r\n") == .success(.length(5)))
    }

    @Test(arguments: [
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: 5, 6\r\n",
        "Content-Length: 5,\r\n",
        "Content-Length: ,5\r\n",
        "Content-Length: 5,,5\r\n",
        "Content-Length: abc\r\n",
        "Content-Length: 5a\r\n",
        "Content-Length: 0x10\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: 5 5\r\n",
        "Content-Length: 1.0\r\n",
        "Content-Length:\r\n",
        "Content-Length: 18446744073709551616\r\n",
        "Content-Length: 99999999999999999999999\r\n",
        "Content-Length: \u{0661}\r\n",
    ])
    func invalidContentLength(fields: String) throws {
        var h = try request(fields)
        #expect(requestFraming(&h) == .failure(HTTPParseError(.invalidContentLength)))
        var r = try response("200 OK", fields)
        #expect(responseFraming(&r) == .failure(HTTPParseError(.invalidContentLength)))
    }

    @Test func chunkedWithContentLengthDropsContentLength() throws {
        var h = try request("Content-Length: 10\r\nTransfer-Encoding: chunked\r\ncontent-length: 3\r\nX-After: 1\r\n")
        #expect(requestFraming(&h) == .success(.chunked))
        #expect(h.firstIndex(named: "content-length") == nil)
        #expect(h.isModified)
        #expect(
            written(h)
                == "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-After: 1\r\n\r\n")
        // Even an invalid Content-Length is irrelevant once chunked applies.
        var bad = try request("Transfer-Encoding: chunked\r\nContent-Length: nonsense\r\n")
        #expect(requestFraming(&bad) == .success(.chunked))
        #expect(bad.firstIndex(named: "content-length") == nil)
    }

    @Test func chunkedWithoutContentLengthIsNotModified() throws {
        var h = try request("Transfer-Encoding: chunked\r\n")
        #expect(requestFraming(&h) == .success(.chunked))
        #expect(!h.isModified)
    }

    @Test func transferCodingLists() throws {
        #expect(try requestResult("Transfer-Encoding: gzip, chunked\r\n") == .success(.chunked))
        #expect(try requestResult("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n") == .success(.chunked))
        #expect(try requestResult("Transfer-Encoding: Chunked\r\n") == .success(.chunked))
        #expect(try requestResult("Transfer-Encoding:  gzip ,  CHUNKED  \r\n") == .success(.chunked))
        #expect(try requestResult("Transfer-Encoding: chunked,\r\n") == .success(.chunked))
    }

    @Test(arguments: [
        "Transfer-Encoding: chunked, gzip\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: chunked, chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked, gzip, chunked\r\n",
        "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding: chunked;q=1\r\n",
    ])
    func invalidRequestTransferEncoding(fields: String) throws {
        #expect(try requestResult(fields) == .failure(HTTPParseError(.invalidTransferEncoding)))
        #expect(
            try requestResult(fields + "Content-Length: 5\r\n") == .failure(HTTPParseError(.invalidTransferEncoding)))
    }

    @Test func transferEncodingInHTTP10Request() throws {
        #expect(
            try requestResult("Transfer-Encoding: chunked\r\n", version: "HTTP/1.0")
                == .failure(HTTPParseError(.invalidTransferEncoding)))
    }

    // MARK: Responses

    @Test(arguments: [
        "100 Continue", "101 Switching Protocols", "103 Early Hints", "199 X", "204 No Content", "304 Not Modified",
    ])
    func responsesWithoutBody(status: String) throws {
        #expect(try responseResult(status, "") == .success(.none))
        #expect(try responseResult(status, "Content-Length: 10\r\n") == .success(.none))
        #expect(try responseResult(status, "Transfer-Encoding: chunked\r\n") == .success(.none))
    }

    @Test func responseToHeadRequest() throws {
        #expect(try responseResult("200 OK", "Content-Length: 10\r\n", isHead: true) == .success(.none))
        #expect(try responseResult("200 OK", "Transfer-Encoding: chunked\r\n", isHead: true) == .success(.none))
        #expect(try responseResult("200 OK", "", isHead: true) == .success(.none))
    }

    @Test func responseFramings() throws {
        #expect(try responseResult("200 OK", "Transfer-Encoding: chunked\r\n") == .success(.chunked))
        #expect(try responseResult("200 OK", "Transfer-Encoding: gzip, chunked\r\n") == .success(.chunked))
        #expect(try responseResult("200 OK", "Content-Length: 42\r\n") == .success(.length(42)))
        #expect(try responseResult("200 OK", "Content-Length: 0\r\n") == .success(.none))
        #expect(try responseResult("200 OK", "Content-Length: 7, 7\r\n") == .success(.length(7)))
        #expect(try responseResult("200 OK", "") == .success(.untilClose))
        #expect(try responseResult("404 Not Found", "Server: x\r\n") == .success(.untilClose))
        #expect(try responseResult("205 Reset Content", "") == .success(.untilClose))
        var h10 = try response("200 OK", "", version: "HTTP/1.0")
        #expect(responseFraming(&h10) == .success(.untilClose))
    }

    @Test func responseChunkedAndContentLength() throws {
        var h = try response("200 OK", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")
        #expect(responseFraming(&h) == .success(.chunked))
        #expect(h.firstIndex(named: "content-length") == nil)
        #expect(written(h) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    }

    @Test func responseWhereChunkedIsNotFinalReadsUntilClose() throws {
        #expect(try responseResult("200 OK", "Transfer-Encoding: chunked, gzip\r\n") == .success(.untilClose))
        #expect(try responseResult("200 OK", "Transfer-Encoding: gzip\r\n") == .success(.untilClose))
        #expect(
            try responseResult("200 OK", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n")
                == .success(.untilClose))
        // Content-Length is still dropped when Transfer-Encoding is present.
        var h = try response("200 OK", "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n")
        #expect(responseFraming(&h) == .success(.untilClose))
        #expect(h.firstIndex(named: "content-length") == nil)
    }

    @Test func responseChunkedTwiceIsInvalid() throws {
        #expect(
            try responseResult("200 OK", "Transfer-Encoding: chunked, chunked\r\n")
                == .failure(HTTPParseError(.invalidTransferEncoding)))
    }
}
