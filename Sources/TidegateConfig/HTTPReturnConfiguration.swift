/// The response built by `return` and `deny` actions:
/// `[status <code>] [content-type <type>] [<payload>] [hdr <name> <fmt>]*`.
public struct HTTPReturnConfiguration: Sendable, Hashable {
    /// Where the body (or whole response) comes from.
    public enum Payload: Sendable, Hashable {
        /// No payload given: for `deny`, the proxy's error file for ``HTTPReturnConfiguration/status``;
        /// for `return`, an empty body.
        case none
        /// `default-errorfiles`: the proxy's error file for the status.
        case defaultErrorFiles
        /// `errorfile <file>`: a complete raw HTTP response read at load time.
        case errorFile(path: String, contents: String)
        /// `file <file>`: a body read at load time, sent as is.
        case file(path: String, contents: String)
        /// `lf-file <file>`: a body read at load time, evaluated as a log-format string per request.
        case logFormatFile(path: String, contents: String)
        /// `string <str>`: a literal body.
        case string(String)
        /// `lf-string <fmt>`: a body evaluated as a log-format string per request.
        case logFormatString(String)
    }

    /// An extra header `hdr <name> <fmt>`; the value is a log-format string.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var format: String

        public init(name: String, format: String) {
            self.name = name
            self.format = format
        }
    }

    /// The status code (200 for `return`, 403 for `http-request deny`, 502 for `http-response deny`
    /// unless given).
    public var status: Int
    /// `content-type <type>`: required with `file`, `lf-file`, `string` and `lf-string`.
    public var contentType: String?
    /// The payload.
    public var payload: Payload
    /// `hdr` arguments, in order.
    public var headers: [Header]

    public init(status: Int, contentType: String? = nil, payload: Payload = .none, headers: [Header] = []) {
        self.status = status
        self.contentType = contentType
        self.payload = payload
        self.headers = headers
    }
}
