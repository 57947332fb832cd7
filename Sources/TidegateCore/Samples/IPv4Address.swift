import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 address as a sample value, in host order (`10.0.0.1` is `0x0A00_0001`).
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address, most significant byte first when read as a number.
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text (`inet_pton` rules: four decimal parts, nothing else).
    public init?(_ text: some StringProtocol) {
        var copy = String(text)
        guard let parsed = copy.withUTF8({ IPv4Address(text: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// Parses dotted-quad text given as bytes.
    public init?(text bytes: UnsafeRawBufferPointer) {
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        var result: UInt32 = 0
        for byte in bytes {
            if byte >= 0x30 && byte <= 0x39 {
                if digits > 0 && current == 0 { return nil }  // no leading zeros, as inet_pton
                current = current * 10 + UInt32(byte - 0x30)
                digits += 1
                if current > 255 { return nil }
            } else if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | current
                parts += 1
                current = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        value = result << 8 | current
    }

    /// The four bytes in network order.
    public var bytes: (UInt8, UInt8, UInt8, UInt8) {
        (
            UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value)
        )
    }

    /// The address as an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
    public var mappedIPv6: IPv6Address { IPv6Address(high: 0, low: 0xffff_0000_0000 | UInt64(value)) }

    /// The netmask of a prefix length (0...32).
    public static func mask(prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : prefixLength >= 32 ? .max : ~(UInt32.max >> UInt32(prefixLength))
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }

    public var description: String {
        let b = bytes
        return "\(b.0).\(b.1).\(b.2).\(b.3)"
    }

    /// Appends the dotted-quad text to `buffer`.
    public func write(to buffer: inout ByteBuffer) {
        writeText(to: &buffer)
    }

    func writeText<S: ByteSink>(to buffer: inout S) {
        let b = bytes
        SampleText.writeDecimal(UInt64(b.0), to: &buffer)
        buffer.append(UInt8(ascii: "."))
        SampleText.writeDecimal(UInt64(b.1), to: &buffer)
        buffer.append(UInt8(ascii: "."))
        SampleText.writeDecimal(UInt64(b.2), to: &buffer)
        buffer.append(UInt8(ascii: "."))
        SampleText.writeDecimal(UInt64(b.3), to: &buffer)
    }
}
