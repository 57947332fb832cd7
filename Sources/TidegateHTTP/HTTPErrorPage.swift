import NIOCore

/// The error responses a proxy sends on its own (HAProxy's built-in pages: same status lines,
/// headers and HTML shape, so clients and monitoring that match on them keep working).
public enum HTTPErrorPage {
    /// The sentence shown in the default page for `code`.
    static func sentence(for code: Int) -> String {
        switch code {
        case 200: return "Service ready."
        case 400: return "Your browser sent an invalid request."
        case 401, 407: return "You need a valid user and password to access this content."
        case 403: return "Request forbidden by administrative rules."
        case 404: return "The resource could not be found."
        case 405: return "A request was made of a resource using a request method not supported by that resource"
        case 408: return "Your browser didn't send a complete request in time."
        case 410: return "The resource is no longer available and will not be available again."
        case 413: return "The request entity exceeds the maximum allowed."
        case 421: return "Request sent to a non-authoritative server."
        case 422: return "The server cannot process the contained instructions."
        case 425: return "Your browser sent early data."
        case 429: return "You have sent too many requests in a given amount of time."
        case 500: return "An internal server error occurred."
        case 501: return "The server does not support the functionality required to fulfill the request."
        case 502: return "The server returned an invalid or incomplete response."
        case 503: return "No server is available to handle this request."
        case 504: return "The server didn't respond in time."
        default: return HTTPStatusPhrase.phrase(for: code) + "."
        }
    }

    /// Whether HAProxy has a built-in page for `code`.
    public static func hasDefaultPage(for code: Int) -> Bool {
        [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504].contains(code)
    }

    /// The phrase HAProxy's built-in pages use (a few differ from the registry's).
    public static func pagePhrase(for code: Int) -> String {
        switch code {
        case 400: return "Bad request"
        case 407: return "Unauthorized"
        case 408: return "Request Time-out"
        case 504: return "Gateway Time-out"
        default: return HTTPStatusPhrase.phrase(for: code)
        }
    }

    /// The full default response for `code`, as bytes ready to write.
    public static func defaultResponse(for code: Int) -> ByteBuffer {
        let phrase = pagePhrase(for: code)
        let body = "<html><body><h1>\(code) \(phrase)</h1>\n\(sentence(for: code))\n</body></html>\n"
        return response(
            status: code, reason: phrase, contentType: "text/html", body: body, extraHeaders: ["cache-control: no-cache"])
    }

    /// Builds a complete HTTP/1.1 response with a Content-Length.
    public static func response(
        status: Int, reason: String? = nil, contentType: String?, body: String, extraHeaders: [String] = []
    ) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeString("HTTP/1.1 \(status) \(reason ?? HTTPStatusPhrase.phrase(for: status))\r\n")
        out.writeString("content-length: \(body.utf8.count)\r\n")
        for header in extraHeaders { out.writeString(header + "\r\n") }
        if let contentType { out.writeString("content-type: \(contentType)\r\n") }
        out.writeString("\r\n")
        out.writeString(body)
        return out
    }
}
