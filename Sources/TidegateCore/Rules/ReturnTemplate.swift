import NIOCore
import TidegateConfig
import TidegateHTTP

/// A compiled `return` / `deny` response: status, content type, body (fixed or log-format) and headers.
struct ReturnTemplate: Sendable {
    enum Body: Sendable {
        /// The error page of the status (or an empty body when there is none).
        case errorPage
        case fixed(String)
        case format(LogFormat)
        /// A complete HTTP response read from an `errorfile`.
        case rawResponse(ByteBuffer)
    }

    let status: Int
    let contentType: String?
    let body: Body
    let headers: [(String, LogFormat)]

    init(_ config: HTTPReturnConfiguration, environment: SampleCompileEnvironment) throws(SampleCompileError) {
        status = config.status
        contentType = config.contentType
        switch config.payload {
        case .none, .defaultErrorFiles: body = .errorPage
        case .errorFile(_, let contents): body = .rawResponse(ByteBuffer(string: contents))
        case .file(_, let contents), .string(let contents): body = .fixed(contents)
        case .logFormatFile(_, let contents), .logFormatString(let contents):
            body = .format(try LogFormat(contents, options: .plain, environment: environment))
        }
        var compiled: [(String, LogFormat)] = []
        for header in config.headers {
            compiled.append((header.name, try LogFormat(header.format, options: .httpValue, environment: environment)))
        }
        headers = compiled
    }

    func response(in context: SampleContext, close: Bool) -> LocalResponse {
        let text: String
        switch body {
        case .errorPage:
            if headers.isEmpty && contentType == nil && HTTPErrorPage.hasDefaultPage(for: status) { return .error(status) }
            text = ""
        case .rawResponse(let bytes):
            return .raw(status: status, bytes, close: close)
        case .fixed(let fixed):
            text = fixed
        case .format(let format):
            text = format.render(in: context)
        }
        let extra = headers.map { "\($0.0): \($0.1.render(in: context))" }
        let bytes = HTTPErrorPage.response(
            status: status, contentType: text.isEmpty ? nil : contentType, body: text, extraHeaders: extra)
        return .raw(status: status, bytes, close: close)
    }
}
