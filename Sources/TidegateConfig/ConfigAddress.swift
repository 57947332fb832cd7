/// A socket address as written in `bind`, `server` and `log` lines, before any name resolution.
///
/// Wildcards (`*:80`, `:80`) become `0.0.0.0` (or `::` with the `ipv6@` prefix), as HAProxy does.
public enum ConfigAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address, an IPv6 address or a host name (not resolved here), with an optional port.
    case inet(host: InetHost, port: PortSpecification?)
    /// A UNIX stream socket path (`unix@/path` or `/path`).
    case unix(path: String)
    /// An already opened file descriptor inherited from the parent process (`fd@<n>`).
    case fileDescriptor(Int)

    /// The host part of an inet address.
    public enum InetHost: Sendable, Hashable, CustomStringConvertible {
        /// A dotted-quad IPv4 literal.
        case ipv4(String)
        /// An IPv6 literal, without brackets.
        case ipv6(String)
        /// A DNS name, kept as written; resolution happens later.
        case hostname(String)

        public var description: String {
            switch self {
            case .ipv4(let text), .hostname(let text): return text
            case .ipv6(let text): return "[\(text)]"
            }
        }
    }

    /// The port part of an inet address.
    public enum PortSpecification: Sendable, Hashable, CustomStringConvertible {
        /// One port.
        case single(Int)
        /// A range of ports `a-b` (bind only): one listener per port.
        case range(ClosedRange<Int>)
        /// `+N` or `-N` (server only): the client's destination port shifted by N.
        case offset(Int)

        public var description: String {
            switch self {
            case .single(let port): return String(port)
            case .range(let range): return "\(range.lowerBound)-\(range.upperBound)"
            case .offset(let offset): return offset >= 0 ? "+\(offset)" : String(offset)
            }
        }
    }

    /// The host, when this is an inet address.
    public var host: InetHost? {
        if case .inet(let host, _) = self { return host }
        return nil
    }

    /// The port specification, when this is an inet address with a port.
    public var port: PortSpecification? {
        if case .inet(_, let port) = self { return port }
        return nil
    }

    public var description: String {
        switch self {
        case .inet(let host, let port):
            if let port { return "\(host):\(port)" }
            return host.description
        case .unix(let path): return "unix@\(path)"
        case .fileDescriptor(let fd): return "fd@\(fd)"
        }
    }
}
