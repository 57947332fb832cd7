/// How HTTP connections are handled between transactions (`option http-keep-alive`,
/// `option http-server-close`, `option httpclose`).
public enum HTTPConnectionMode: String, Sendable, Hashable, CaseIterable {
    /// Keep both sides open between transactions (HAProxy's default).
    case keepAlive = "http-keep-alive"
    /// Close the server side after each response, keep the client side.
    case serverClose = "http-server-close"
    /// Close both sides after each response.
    case close = "httpclose"
}
