import NIOCore

/// One SPOP value: a message argument, a HELLO or DISCONNECT item, or a variable set by an ACK.
///
/// Integers keep their declared width (64-bit values are never narrowed). STRING and BINARY hold the
/// bytes as received, slices of the frame they came from: a STRING is not guaranteed to be UTF-8.
public enum SPOPTypedData: Sendable, Hashable {
    case null
    case bool(Bool)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case ipv4(SPOPIPv4Address)
    case ipv6(SPOPIPv6Address)
    case string(ByteBuffer)
    case binary(ByteBuffer)

    /// The type ids of the wire format (the low 4 bits of the type byte).
    public enum Kind: UInt8, Sendable, CaseIterable {
        case null = 0, bool, int32, uint32, int64, uint64, ipv4, ipv6, string, binary
    }

    /// This value's type id.
    public var kind: Kind {
        switch self {
        case .null: return .null
        case .bool: return .bool
        case .int32: return .int32
        case .uint32: return .uint32
        case .int64: return .int64
        case .uint64: return .uint64
        case .ipv4: return .ipv4
        case .ipv6: return .ipv6
        case .string: return .string
        case .binary: return .binary
        }
    }

    /// A STRING holding `text`'s UTF-8 bytes.
    public init(string text: some StringProtocol) {
        self = .string(ByteBuffer(string: String(text)))
    }

    /// A BINARY holding `bytes`.
    public init(binary bytes: some Sequence<UInt8>) {
        self = .binary(ByteBuffer(bytes: bytes))
    }

    /// The value of any of the four integer types widened to 64 bits, two's complement for UINT64
    /// values above `Int64.max` (which is what HAProxy stores); nil for other types.
    public var int64Value: Int64? {
        switch self {
        case .int32(let v): return Int64(v)
        case .uint32(let v): return Int64(v)
        case .int64(let v): return v
        case .uint64(let v): return Int64(bitPattern: v)
        default: return nil
        }
    }

    /// The bytes of a STRING or BINARY; nil for other types.
    public var bytes: ByteBuffer? {
        switch self {
        case .string(let b), .binary(let b): return b
        default: return nil
        }
    }
}

extension SPOPTypedData {
    /// The number of bytes `writeSPOPTypedData` writes for this value.
    @inlinable
    public var encodedLength: Int {
        switch self {
        case .null, .bool: return 1
        case .int32(let v): return 1 + SPOPVarint.encodedLength(of: UInt64(bitPattern: Int64(v)))
        case .uint32(let v): return 1 + SPOPVarint.encodedLength(of: UInt64(v))
        case .int64(let v): return 1 + SPOPVarint.encodedLength(of: UInt64(bitPattern: v))
        case .uint64(let v): return 1 + SPOPVarint.encodedLength(of: v)
        case .ipv4: return 5
        case .ipv6: return 17
        case .string(let b), .binary(let b):
            return 1 + SPOPVarint.encodedLength(of: UInt64(b.readableBytes)) + b.readableBytes
        }
    }

    /// The value of an INT32's varint: normally the sign-extended 64-bit pattern, a zero-extended 32-bit
    /// pattern accepted too; nil if neither fits.
    @inlinable
    static func int32(wire raw: UInt64) -> Int32? {
        if let v = Int32(exactly: Int64(bitPattern: raw)) { return v }
        if let v = UInt32(exactly: raw) { return Int32(bitPattern: v) }
        return nil
    }
}

extension ByteBuffer {
    /// Writes `value` as SPOP typed data (type byte, then its data); returns the number of bytes written.
    /// STRING and BINARY are written with flag bits 0, BOOL with the 0x10 flag for true.
    @discardableResult
    @inlinable
    public mutating func writeSPOPTypedData(_ value: SPOPTypedData) -> Int {
        writeWithUnsafeMutableBytes(minimumWritableBytes: value.encodedLength) {
            var out = SPOPWireWriter($0)
            out.typedData(value)
            return out.index
        }
    }

    /// Writes a STRING made of `bytes` without building an `SPOPTypedData` first.
    @discardableResult
    @inlinable
    public mutating func writeSPOPString(_ bytes: some Collection<UInt8>) -> Int {
        writeSPOPTypedBytes(.string, bytes)
    }

    /// Writes a BINARY made of `bytes` without building an `SPOPTypedData` first.
    @discardableResult
    @inlinable
    public mutating func writeSPOPBinary(_ bytes: some Collection<UInt8>) -> Int {
        writeSPOPTypedBytes(.binary, bytes)
    }

    @inlinable
    mutating func writeSPOPTypedBytes(_ kind: SPOPTypedData.Kind, _ bytes: some Collection<UInt8>) -> Int {
        withContiguousBytes(bytes) { source in
            writeWithUnsafeMutableBytes(minimumWritableBytes: 1 + SPOPVarint.maxLength + source.count) {
                var out = SPOPWireWriter($0)
                out.byte(kind.rawValue)
                out.lengthPrefixed(source)
                return out.index
            }
        }
    }

    /// Reads one typed data value. STRING and BINARY values are slices of this buffer (no copy).
    /// Flag bits other than BOOL's are ignored. On error the reader index is left where it was.
    @inlinable
    public mutating func readSPOPTypedData() throws(SPOPError) -> SPOPTypedData {
        let start = readerIndex
        do throws(SPOPError) {
            return try readSPOPTypedDataUnrestored()
        } catch {
            moveReaderIndex(to: start)
            throw error
        }
    }

    @inlinable
    mutating func readSPOPTypedDataUnrestored() throws(SPOPError) -> SPOPTypedData {
        guard let typeByte = readInteger(as: UInt8.self) else { throw SPOPError(.truncatedData) }
        switch typeByte & 0x0F {
        case SPOPTypedData.Kind.null.rawValue:
            return .null
        case SPOPTypedData.Kind.bool.rawValue:
            return .bool(typeByte & 0x10 != 0)
        case SPOPTypedData.Kind.int32.rawValue:
            guard let v = SPOPTypedData.int32(wire: try readSPOPVarint()) else { throw SPOPError(.integerOutOfRange) }
            return .int32(v)
        case SPOPTypedData.Kind.uint32.rawValue:
            guard let v = UInt32(exactly: try readSPOPVarint()) else { throw SPOPError(.integerOutOfRange) }
            return .uint32(v)
        case SPOPTypedData.Kind.int64.rawValue:
            return .int64(Int64(bitPattern: try readSPOPVarint()))
        case SPOPTypedData.Kind.uint64.rawValue:
            return .uint64(try readSPOPVarint())
        case SPOPTypedData.Kind.ipv4.rawValue:
            guard let v = readInteger(as: UInt32.self) else { throw SPOPError(.truncatedData) }
            return .ipv4(SPOPIPv4Address(rawValue: v))
        case SPOPTypedData.Kind.ipv6.rawValue:
            guard readableBytes >= 16 else { throw SPOPError(.truncatedData) }
            let high = readInteger(as: UInt64.self)!
            let low = readInteger(as: UInt64.self)!
            return .ipv6(SPOPIPv6Address(high: high, low: low))
        case SPOPTypedData.Kind.string.rawValue:
            return .string(try readSPOPBytes())
        case SPOPTypedData.Kind.binary.rawValue:
            return .binary(try readSPOPBytes())
        default:
            throw SPOPError(.unknownDataType)
        }
    }
}
