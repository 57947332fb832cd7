import NIOCore

extension SampleFetchRegistry {
    /// `src`, `src_port`, `dst`, `dst_port`.
    mutating func registerConnectionFetches() {
        register(
            .init(
                name: "src", outputType: .addr, requirements: .connection,
                fetch: { context, _ in context.clientAddress.flatMap(Sample.address) }))
        register(
            .init(
                name: "src_port", outputType: .sint, requirements: .connection,
                fetch: { context, _ in context.clientAddress?.port.map { .sint(Int64($0)) } }))
        register(
            .init(
                name: "dst", outputType: .addr, requirements: .connection,
                fetch: { context, _ in context.localAddress.flatMap(Sample.address) }))
        register(
            .init(
                name: "dst_port", outputType: .sint, requirements: .connection,
                fetch: { context, _ in context.localAddress?.port.map { .sint(Int64($0)) } }))
    }
}

extension Sample {
    /// The IP of a socket address as an `ipv4` or `ipv6` sample (nil for Unix sockets).
    public static func address(_ address: SocketAddress) -> Sample? {
        switch address {
        case .v4(let v4):
            return .ipv4(IPv4Address(UInt32(bigEndian: v4.address.sin_addr.s_addr)))
        case .v6(let v6):
            var storage = v6.address.sin6_addr
            let value = withUnsafeBytes(of: &storage) { IPv6Address(networkBytes: $0) }
            return .ipv6(value)
        case .unixDomainSocket:
            return nil
        }
    }
}
