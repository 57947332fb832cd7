import NIOCore

extension Sample {
    /// Converts the sample to `target` following HAProxy's cast table; nil when the cast does not exist
    /// or fails (an empty string to an integer, text that is not an address).
    public func converted(to target: SampleType) -> Sample? {
        if target == .any || target == type { return self }
        switch self {
        case .bool(let v):
            switch target {
            case .sint: return .sint(v ? 1 : 0)
            case .str: return .str(ByteBuffer(string: v ? "1" : "0"))
            default: return nil
            }
        case .sint(let v):
            switch target {
            case .bool: return .bool(v != 0)
            case .addr, .ipv4: return .ipv4(IPv4Address(UInt32(truncatingIfNeeded: v)))
            case .ipv6: return .ipv6(IPv4Address(UInt32(truncatingIfNeeded: v)).mappedIPv6)
            case .str:
                var b = ByteBuffer()
                SampleText.writeDecimal(v, to: &b)
                return .str(b)
            case .bin:
                var b = ByteBuffer()
                b.writeInteger(UInt64(bitPattern: v), endianness: .big)
                return .bin(b)
            default: return nil
            }
        case .ipv4(let a):
            switch target {
            case .sint: return .sint(Int64(a.value))
            case .addr: return self
            case .ipv6: return .ipv6(a.mappedIPv6)
            case .str:
                var b = ByteBuffer()
                a.write(to: &b)
                return .str(b)
            case .bin:
                var b = ByteBuffer()
                b.writeInteger(a.value, endianness: .big)
                return .bin(b)
            default: return nil
            }
        case .ipv6(let a):
            switch target {
            case .addr: return self
            case .ipv4: return a.embeddedIPv4.map { .ipv4($0) }
            case .str:
                var b = ByteBuffer()
                a.write(to: &b)
                return .str(b)
            case .bin:
                var b = ByteBuffer()
                b.writeInteger(a.high, endianness: .big)
                b.writeInteger(a.low, endianness: .big)
                return .bin(b)
            default: return nil
            }
        case .str(let b):
            switch target {
            case .bool:
                guard let v = SampleText.parseLeadingInteger(b) else { return nil }
                return .bool(v != 0)
            case .sint:
                guard let v = SampleText.parseLeadingInteger(b) else { return nil }
                return .sint(v)
            case .addr:
                return b.withUnsafeReadableBytes { raw in
                    if let v4 = IPv4Address(text: raw) { return .ipv4(v4) }
                    if let v6 = IPv6Address(text: raw) { return .ipv6(v6) }
                    return nil
                }
            case .ipv4: return b.withUnsafeReadableBytes { IPv4Address(text: $0) }.map { .ipv4($0) }
            case .ipv6: return b.withUnsafeReadableBytes { IPv6Address(text: $0) }.map { .ipv6($0) }
            case .bin: return .bin(b)
            case .meth: return .meth(b)
            default: return nil
            }
        case .bin(let b):
            switch target {
            case .str:
                // As HAProxy: a NUL byte ends the string.
                if let nul = b.readableBytesView.firstIndex(of: 0) {
                    return .str(b.getSlice(at: b.readerIndex, length: nul - b.readerIndex)!)
                }
                return .str(b)
            case .meth: return .meth(b)
            default: return nil
            }
        case .meth(let b):
            switch target {
            case .str: return .str(b)
            case .bin: return .bin(b)
            default: return nil
            }
        }
    }
}
