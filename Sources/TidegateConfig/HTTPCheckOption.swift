/// `option httpchk [<method> <uri> [<version>]]` or `option httpchk <uri>`: HTTP health checks.
public struct HTTPCheckOption: Sendable, Hashable {
    /// The request method, `OPTIONS` by default.
    public var method: String
    /// The request URI, `/` by default.
    public var uri: String
    /// The HTTP version, `HTTP/1.0` by default.
    public var version: String

    public init(method: String = "OPTIONS", uri: String = "/", version: String = "HTTP/1.0") {
        self.method = method
        self.uri = uri
        self.version = version
    }
}
