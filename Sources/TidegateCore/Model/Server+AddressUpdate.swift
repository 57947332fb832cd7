import NIOCore

extension Server {
    /// HAProxy's `srv_update_addr_port` (Lua's `Server:set_addr(addr[, port])`, the CLI's `set server addr`): moves
    /// the server to IP address `addr` and/or `port` for new connections, and returns HAProxy's report, e.g.
    /// `IP changed from '10.0.0.1' to '10.0.0.2', port changed from '80' to '8080' by 'Lua script'`.
    ///
    /// `addr` must be an IPv4 or IPv6 literal: host names are not resolved (HAProxy's `str2ip2(..., resolve=0)`)
    /// and give `Invalid addr '<addr>'`. A server on a UNIX socket cannot move. Port maps (`+n`/`-n`) are refused.
    public func updateAddress(_ addr: String?, port: String?, updater: String) -> String {
        let report = self.modifyAddress { current in Self.update(current, addr: addr, port: port) }
        return report + " by '\(updater)'"
    }

    /// The new address (nil: unchanged) and the report, as `srv_update_addr_port` builds it: an invalid address
    /// stops there; a valid one is applied even when the port then fails.
    private static func update(_ current: SocketAddress, addr: String?, port: String?) -> (SocketAddress?, String) {
        guard let currentIP = current.ipAddress, let currentPort = current.port else {
            return (nil, "Update for the current server address family is only supported through configuration file")
        }
        var target = current
        var report = ""
        if let addr {
            guard let parsed = try? SocketAddress(ipAddress: addr, port: currentPort) else {
                return (nil, "Invalid addr '\(addr)'")
            }
            if parsed == current {
                report = "no need to change the addr"
            } else {
                report = "IP changed from '\(currentIP)' to '\(addr)'"
                target = parsed
            }
        }
        let changed = target == current ? nil : target
        guard let port else { return (changed, report) }
        if addr != nil { report += ", " }
        if port.hasPrefix("+") || port.hasPrefix("-") {
            return (changed, report + "port maps ('+<n>', '-<n>') are not supported")
        }
        guard let newPort = Self.parsePort(port),
            let moved = try? SocketAddress(ipAddress: target.ipAddress ?? currentIP, port: newPort)
        else {
            return (changed, report + "problem converting port '\(port)' to an int")
        }
        guard newPort != currentPort else { return (changed, report + "no need to change the port") }
        return (moved, report + "port changed from '\(currentPort)' to '\(newPort)'")
    }

    /// A port in decimal, 0...65535, after optional blanks (as `strtol` skips them); nil otherwise.
    private static func parsePort(_ text: String) -> Int? {
        let digits = text.drop { $0 == " " || $0 == "\t" }
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int(digits), value <= 65535
        else { return nil }
        return value
    }
}
