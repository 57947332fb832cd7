import NIOCore

/// One sample value, with HAProxy's types.
///
/// Strings and binary data are `ByteBuffer`s: fetches slice them out of the received message head
/// without copying, and comparisons are byte-wise as in HAProxy (no Unicode normalization).
public enum Sample: Sendable, Hashable {
    case bool(Bool)
    case sint(Int64)
    case ipv4(IPv4Address)
    case ipv6(IPv6Address)
    case str(ByteBuffer)
    case bin(ByteBuffer)
    /// An HTTP method token (HAProxy's `meth` type).
    case meth(ByteBuffer)

    /// The sample's type.
    public var type: SampleType {
        switch self {
        case .bool: .bool
        case .sint: .sint
        case .ipv4: .ipv4
        case .ipv6: .ipv6
        case .str: .str
        case .bin: .bin
        case .meth: .meth
        }
    }

    /// A string sample holding the UTF-8 bytes of `text`.
    public static func string(_ text: String) -> Sample { .str(ByteBuffer(string: text)) }

    /// A binary sample holding `bytes`.
    public static func binary(_ bytes: [UInt8]) -> Sample { .bin(ByteBuffer(bytes: bytes)) }

    /// The bytes of a `str`, `bin` or `meth` sample.
    public var buffer: ByteBuffer? {
        switch self {
        case .str(let b), .bin(let b), .meth(let b): b
        default: nil
        }
    }

    /// The sample converted to a string (HAProxy's cast to `str`), as a Swift `String`.
    public var stringValue: String? {
        guard case .str(let b)? = converted(to: .str) else { return nil }
        return String(buffer: b)
    }

    /// The sample converted to an integer (HAProxy's cast to `sint`).
    public var integerValue: Int64? {
        guard case .sint(let v)? = converted(to: .sint) else { return nil }
        return v
    }

    /// The sample's truth value (HAProxy's cast to `bool`).
    public var boolValue: Bool? {
        guard case .bool(let v)? = converted(to: .bool) else { return nil }
        return v
    }

    /// A copy whose bytes do not share storage with a message head (for values that outlive a
    /// request, such as variables).
    public func detached() -> Sample {
        switch self {
        case .str(let b): .str(ByteBuffer(bytes: b.readableBytesView))
        case .bin(let b): .bin(ByteBuffer(bytes: b.readableBytesView))
        case .meth(let b): .meth(ByteBuffer(bytes: b.readableBytesView))
        default: self
        }
    }
}

extension Sample: CustomStringConvertible {
    public var description: String {
        switch self {
        case .bool(let v): "bool(\(v))"
        case .sint(let v): "sint(\(v))"
        case .ipv4(let a): "ipv4(\(a))"
        case .ipv6(let a): "ipv6(\(a))"
        case .str(let b): "str(\(String(buffer: b)))"
        case .bin(let b): "bin(\(SampleText.hex(b)))"
        case .meth(let b): "meth(\(String(buffer: b)))"
        }
    }
}
