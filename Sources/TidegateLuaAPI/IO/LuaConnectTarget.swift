import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where `Socket:connect` (and the `dst` field of an HTTP client request) connects: HAProxy's address syntax
/// (`ip:port`, `[ipv6]:port`, `ipv4@`, `ipv6@`, `tcp@`, `tcp4@`, `tcp6@`, `unix@/path`, `/path`) or a host name,
/// resolved by NIO off the event loop. `abns@`, `fd@` and the other families are not supported.
enum LuaConnectTarget: Equatable, Sendable {
    case address(SocketAddress)
    /// A name to resolve (NIO resolves it off the event loop and tries the addresses it gets).
    case host(String, port: Int)
    case unix(path: String)

    enum ParseError: Error, Equatable {
        /// The text is not an address (HAProxy: "cannot parse destination address").
        case invalid
        /// An IP address or name without a port.
        case portMissing
    }

    /// Parses `text`; `port` (the second argument of `connect`, when positive) is the port of an address written
    /// without one, and lets an IPv6 address go without brackets.
    static func parse(_ text: String, port: Int?) throws(ParseError) -> LuaConnectTarget {
        var rest = Substring(text)
        var family: Int32?
        if let at = rest.firstIndex(of: "@") {
            switch rest[..<at].lowercased() {
            case "ipv4", "tcp4": family = AF_INET
            case "ipv6", "tcp6": family = AF_INET6
            case "tcp": family = nil
            case "unix":
                let path = rest[rest.index(after: at)...]
                guard !path.isEmpty else { throw .invalid }
                return .unix(path: String(path))
            default: throw .invalid
            }
            rest = rest[rest.index(after: at)...]
        }
        if family == nil, rest.hasPrefix("/") {
            return .unix(path: String(rest))
        }

        var host: Substring
        var portText: Substring?
        if let port, port > 0 {
            host = rest
        } else if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalid }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw .invalid }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { throw .invalid }

        let resolvedPort: Int
        if let portText, !portText.isEmpty {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(portText), value <= 65535 else {
                throw .invalid
            }
            resolvedPort = value
        } else if let port, port > 0, port <= 65535 {
            resolvedPort = port
        } else {
            throw .portMissing
        }

        let hostText = String(host)
        if let address = try? SocketAddress(ipAddress: hostText, port: resolvedPort) {
            if let family, address.protocol != (family == AF_INET ? .inet : .inet6) { throw .invalid }
            return .address(address)
        }
        // Not an IP literal: a name, which must look like one.
        guard hostText.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
        else { throw .invalid }
        return .host(hostText, port: resolvedPort)
    }

    /// HAProxy's `hlua_socket_info` text: "a.b.c.d:port", "[v6]:port" or the UNIX socket path.
    static func describe(_ address: SocketAddress?) -> String? {
        switch address {
        case .v4?:
            guard let ip = address?.ipAddress, let port = address?.port else { return nil }
            return "\(ip):\(port)"
        case .v6?:
            guard let ip = address?.ipAddress, let port = address?.port else { return nil }
            return "[\(ip)]:\(port)"
        case .unixDomainSocket?:
            return address?.pathname
        case nil:
            return nil
        }
    }
}
