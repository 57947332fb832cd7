/// `option forwardfor [except <network>] [header <name>] [if-none]`.
public struct ForwardForOption: Sendable, Hashable {
    /// `except <network>`: clients in this network (`addr[/mask]`) get no header.
    public var exceptNetwork: String?
    /// `header <name>`, `X-Forwarded-For` by default.
    public var header: String
    /// `if-none`: only add the header when the request has none.
    public var ifNone: Bool

    public init(exceptNetwork: String? = nil, header: String = "X-Forwarded-For", ifNone: Bool = false) {
        self.exceptNetwork = exceptNetwork
        self.header = header
        self.ifNone = ifNone
    }
}
