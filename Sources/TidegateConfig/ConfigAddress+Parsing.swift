#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension ConfigAddress {
    /// What kind of line an address belongs to; decides which forms are accepted.
    public enum Usage: Sendable, Hashable {
        /// `bind`: port (or range) mandatory for inet addresses, `fd@` allowed.
        case bind
        /// `server`: port optional, `+N`/`-N` offsets allowed, no `fd@`.
        case server
        /// `log`: UDP syslog, port defaults to 514.
        case log
    }

    /// Parses one address (no commas). The error message does not name the keyword.
    public static func parse(_ text: String, usage: Usage) -> Result<ConfigAddress, ConfigValueError> {
        var rest = Substring(text)
        var family: String?
        if let at = rest.firstIndex(of: "@") {
            let prefix = String(rest[..<at])
            if prefix.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) {
                family = prefix.lowercased()
                rest = rest[rest.index(after: at)...]
            }
        }
        switch family {
        case nil:
            if rest.hasPrefix("/") {
                return .success(.unix(path: String(rest)))
            }
            return parseInet(rest, family: nil, usage: usage, original: text)
        case "ipv4", "tcp4":
            return parseInet(rest, family: .ipv4, usage: usage, original: text)
        case "ipv6", "tcp6":
            return parseInet(rest, family: .ipv6, usage: usage, original: text)
        case "tcp":
            return parseInet(rest, family: nil, usage: usage, original: text)
        case "udp", "udp4", "udp6":
            guard usage == .log else {
                return .failure(ConfigValueError("UDP address '\(text)' is not supported here"))
            }
            let forced: IPFamily? = family == "udp4" ? .ipv4 : family == "udp6" ? .ipv6 : nil
            return parseInet(rest, family: forced, usage: usage, original: text)
        case "unix":
            guard !rest.isEmpty else { return .failure(ConfigValueError("missing path in '\(text)'")) }
            return .success(.unix(path: String(rest)))
        case "fd":
            guard usage != .server else {
                return .failure(ConfigValueError("'fd@' addresses are not supported for servers ('\(text)')"))
            }
            guard let fd = Int(rest), fd >= 0 else {
                return .failure(ConfigValueError("invalid file descriptor in '\(text)'"))
            }
            return .success(.fileDescriptor(fd))
        case "abns", "abnsz":
            return .failure(ConfigValueError("abstract namespace sockets ('\(text)') are not supported"))
        case "sockpair", "quic4", "quic6", "uxdg", "uxst", "rhttp":
            return .failure(ConfigValueError("address family '\(family!)@' ('\(text)') is not supported"))
        default:
            return .failure(ConfigValueError("unknown address family '\(family!)@' in '\(text)'"))
        }
    }

    private enum IPFamily { case ipv4, ipv6 }

    private static func parseInet(
        _ text: Substring,
        family: IPFamily?,
        usage: Usage,
        original: String
    ) -> Result<ConfigAddress, ConfigValueError> {
        var hostText: Substring
        var portText: Substring?
        var bracketed = false
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(ConfigValueError("missing ']' in address '\(original)'"))
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            bracketed = true
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    return .failure(ConfigValueError("unexpected characters after ']' in address '\(original)'"))
                }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            hostText = text
        }
        if portText?.isEmpty == true { portText = nil }

        // Host.
        let host: InetHost
        if hostText.isEmpty || hostText == "*" {
            if usage == .server && !bracketed {
                return .failure(ConfigValueError("missing address in '\(original)'"))
            }
            host = family == .ipv6 ? .ipv6("::") : .ipv4("0.0.0.0")
        } else if isIPv4(hostText) {
            guard family != .ipv6, !bracketed else {
                return .failure(ConfigValueError("'\(hostText)' is not an IPv6 address in '\(original)'"))
            }
            host = .ipv4(String(hostText))
        } else if isIPv6(hostText) {
            guard family != .ipv4 else {
                return .failure(ConfigValueError("'\(hostText)' is not an IPv4 address in '\(original)'"))
            }
            host = .ipv6(String(hostText))
        } else if isHostname(hostText) && !bracketed {
            host = .hostname(String(hostText))
        } else {
            return .failure(ConfigValueError("invalid address '\(hostText)' in '\(original)'"))
        }

        // Port.
        guard let portText else {
            switch usage {
            case .bind: return .failure(ConfigValueError("missing port number in '\(original)'"))
            case .server: return .success(.inet(host: host, port: nil))
            case .log: return .success(.inet(host: host, port: .single(514)))
            }
        }
        if portText.hasPrefix("+") || portText.hasPrefix("-") {
            guard usage == .server else {
                return .failure(ConfigValueError("port offsets are only supported for servers ('\(original)')"))
            }
            guard let offset = Int(portText), (-65535...65535).contains(offset) else {
                return .failure(ConfigValueError("invalid port offset '\(portText)' in '\(original)'"))
            }
            return .success(.inet(host: host, port: .offset(offset)))
        }
        if let dash = portText.firstIndex(of: "-") {
            guard usage == .bind else {
                return .failure(ConfigValueError("port ranges are only supported for bind addresses ('\(original)')"))
            }
            guard let low = port(portText[..<dash], allowZero: false),
                let high = port(portText[portText.index(after: dash)...], allowZero: false), low <= high
            else {
                return .failure(ConfigValueError("invalid port range '\(portText)' in '\(original)'"))
            }
            return .success(.inet(host: host, port: low == high ? .single(low) : .range(low...high)))
        }
        guard let value = port(portText, allowZero: usage != .log) else {
            return .failure(ConfigValueError("invalid port '\(portText)' in '\(original)'"))
        }
        return .success(.inet(host: host, port: .single(value)))
    }

    private static func port(_ text: Substring, allowZero: Bool) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text)
        else { return nil }
        guard value <= 65535, allowZero || value > 0 else { return nil }
        return value
    }

    static func isIPv4(_ text: Substring) -> Bool {
        var address = in_addr()
        return String(text).withCString { inet_pton(AF_INET, $0, &address) } == 1
    }

    static func isIPv6(_ text: Substring) -> Bool {
        var address = in6_addr()
        return String(text).withCString { inet_pton(AF_INET6, $0, &address) } == 1
    }

    /// Letters, digits, `-`, `_` and `.`, not all digits and dots (that would be a malformed IPv4).
    private static func isHostname(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.count <= 253 else { return false }
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
        else { return false }
        return !text.allSatisfy { $0.isNumber || $0 == "." }
    }

    /// Parses `addr[/prefix]` as used by `option forwardfor except`: an IPv4 or IPv6 network.
    static func isNetwork(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = parts[0]
        let maximum: Int
        if isIPv4(address) {
            maximum = 32
        } else if isIPv6(address) {
            maximum = 128
        } else {
            return false
        }
        guard parts.count == 2 else { return true }
        if let bits = Int(parts[1]) { return (0...maximum).contains(bits) }
        // IPv4 dotted netmask, e.g. 255.255.255.0.
        return maximum == 32 && isIPv4(parts[1])
    }
}
