import NIOCore

extension SocketAddress {
    /// The raw address bytes (4 for IPv4, 16 for IPv6), nil for unix sockets.
    var addressBytes: [UInt8]? {
        switch self {
        case .v4(let address):
            return withUnsafeBytes(of: address.address.sin_addr.s_addr) { Array($0) }
        case .v6(let address):
            return withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }
}

extension ForwardFor {
    /// Whether `address` is in one of the `except` networks.
    func excludes(_ address: SocketAddress) -> Bool {
        guard !except.isEmpty, let bytes = address.addressBytes else { return false }
        for network in except where network.address.count == bytes.count {
            var remaining = network.prefix
            var matches = true
            for i in 0..<bytes.count where remaining > 0 {
                let bits = min(8, remaining)
                let mask: UInt8 = bits == 8 ? 0xff : ~(0xff >> UInt8(bits))
                if bytes[i] & mask != network.address[i] & mask {
                    matches = false
                    break
                }
                remaining -= bits
            }
            if matches { return true }
        }
        return false
    }
}
