import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv6 address as a sample value: 128 bits, `high` holding the first eight bytes in network order.
public struct IPv6Address: Sendable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Builds an address from its 16 bytes in network order.
    public init<Bytes: Collection<UInt8>>(networkBytes bytes: Bytes) {
        precondition(bytes.count == 16)
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(byte) } else { l = l << 8 | UInt64(byte) }
        }
        high = h
        low = l
    }

    /// Parses textual IPv6 (`inet_pton` rules, including a trailing dotted quad).
    public init?(_ text: some StringProtocol) {
        var copy = String(text)
        guard let parsed = copy.withUTF8({ IPv6Address(text: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// Parses textual IPv6 given as bytes.
    public init?(text: UnsafeRawBufferPointer) {
        guard text.count > 0, text.count < 64 else { return nil }
        var storage = in6_addr()
        let ok = withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { cstr -> Bool in
            for i in 0..<text.count {
                if text[i] == 0 { return false }
                cstr[i] = CChar(bitPattern: text[i])
            }
            cstr[text.count] = 0
            return inet_pton(AF_INET6, cstr.baseAddress!, &storage) == 1
        }
        guard ok else { return nil }
        self = withUnsafeBytes(of: &storage) { IPv6Address(networkBytes: $0) }
    }

    /// The 16 bytes in network order.
    public var byteArray: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i))
        }
        return out
    }

    /// The embedded IPv4 address when this is IPv4-mapped (`::ffff:a.b.c.d`).
    public var mappedIPv4: IPv4Address? {
        guard high == 0, low >> 32 == 0xffff else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: low))
    }

    /// The IPv4 address HAProxy extracts when casting IPv6 to IPv4: IPv4-mapped or 6to4 (`2002:AABB:CCDD::`).
    public var embeddedIPv4: IPv4Address? {
        if let mapped = mappedIPv4 { return mapped }
        if high >> 48 == 0x2002 { return IPv4Address(UInt32(truncatingIfNeeded: high >> 16)) }
        return nil
    }

    /// Whether both addresses agree on the first `prefixLength` bits.
    public func matches(_ network: IPv6Address, prefixLength: Int) -> Bool {
        let mask = IPv6Address.mask(prefixLength: prefixLength)
        return high & mask.high == network.high & mask.high && low & mask.low == network.low & mask.low
    }

    /// The netmask of a prefix length (0...128).
    public static func mask(prefixLength: Int) -> IPv6Address {
        func part(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits)) }
        return IPv6Address(high: part(prefixLength), low: part(prefixLength - 64))
    }

    /// Bitwise AND with a mask.
    public func masked(by mask: IPv6Address) -> IPv6Address {
        IPv6Address(high: high & mask.high, low: low & mask.low)
    }

    public var description: String {
        var buffer = ByteBuffer()
        write(to: &buffer)
        return String(buffer: buffer)
    }

    /// Appends the text form produced by the system's `inet_ntop` (as HAProxy logs it).
    public func write(to buffer: inout ByteBuffer) {
        writeText(to: &buffer)
    }

    func writeText<S: ByteSink>(to buffer: inout S) {
        var storage = in6_addr()
        let bytes = byteArray
        withUnsafeMutableBytes(of: &storage) { raw in
            for i in 0..<16 { raw[i] = bytes[i] }
        }
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { out in
            guard inet_ntop(AF_INET6, &storage, out.baseAddress!, 64) != nil else { return }
            var length = 0
            while length < 64 && out[length] != 0 { length += 1 }
            buffer.append(contentsOf: UnsafeRawBufferPointer(start: out.baseAddress!, count: length))
        }
    }
}
