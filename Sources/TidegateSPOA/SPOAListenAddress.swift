/// One address the agent listens on.
public enum SPOAListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// A TCP port on `host` (an IPv4 or IPv6 literal; `0.0.0.0` for every IPv4 address). Port 0 picks a free port.
    case tcp(host: String, port: Int)
    /// A unix stream socket at `path` (an existing socket file there is replaced).
    case unix(path: String)

    /// Parses `-p`'s value: `12345` (every IPv4 address, like HAProxy's example agent), `host:port`,
    /// `[ipv6]:port`, `ipv4@host:port`, `ipv6@[addr]:port` or `unix@/path`. Nil when it is none of these.
    public init?(parsing text: String) {
        if text.hasPrefix("unix@") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { return nil }
            self = .unix(path: path)
            return
        }
        var rest = Substring(text)
        for prefix in ["ipv4@", "ipv6@"] where rest.hasPrefix(prefix) {
            rest = rest.dropFirst(prefix.count)
        }
        if let port = Self.port(rest) {
            self = .tcp(host: "0.0.0.0", port: port)
            return
        }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Self.port(portText) else { return nil }
        self = .tcp(host: host == "*" ? "0.0.0.0" : String(host), port: port)
    }

    private static func port(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), let port = Int(text), (0...65535).contains(port) else {
            return nil
        }
        return port
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix@\(path)"
        }
    }
}
