import NIOCore

/// SPOP's variable-length encoding of unsigned 64-bit integers (the encoding HAProxy's peers
/// protocol uses too).
///
/// Values below 240 take one byte. Larger values start with a byte whose high nibble is 1111 and
/// whose low nibble holds the value's low 4 bits (after subtracting 240), followed by bytes carrying
/// 7 bits each with the high bit set on all but the last. Each continuation byte's contribution is
/// added, high bit included, which is why the encoder subtracts 128 before shifting. Signed values
/// travel as their two's-complement `UInt64`, so a negative number always takes 10 bytes.
public enum SPOPVarint {
    /// The longest encoding of a 64-bit value.
    public static let maxLength = 10

    /// The number of bytes `value` encodes to.
    @inlinable
    public static func encodedLength(of value: UInt64) -> Int {
        if value < 240 { return 1 }
        var rest = (value - 240) >> 4
        var length = 2
        while rest >= 128 {
            rest = (rest - 128) >> 7
            length += 1
        }
        return length
    }

    /// Encodes `value` at the start of `out` (at least `encodedLength(of:)` bytes), returning the length.
    @inlinable
    static func encode(_ value: UInt64, into out: UnsafeMutableRawBufferPointer) -> Int {
        if value < 240 {
            out[0] = UInt8(truncatingIfNeeded: value)
            return 1
        }
        out[0] = UInt8(truncatingIfNeeded: value) | 0xF0
        var rest = (value - 240) >> 4
        var i = 1
        while rest >= 128 {
            out[i] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest = (rest - 128) >> 7
            i += 1
        }
        out[i] = UInt8(truncatingIfNeeded: rest)
        return i + 1
    }

    /// Outcome of decoding at the start of a byte range: `length` > 0 is the number of bytes read,
    /// 0 means the range ended inside the varint, -1 means it does not fit in 64 bits.
    @inlinable
    static func decode(_ bytes: UnsafeRawBufferPointer) -> (value: UInt64, length: Int) {
        guard let first = bytes.first else { return (0, 0) }
        if first < 240 { return (UInt64(first), 1) }
        var value = UInt64(first)
        var shift: UInt64 = 4
        var i = 1
        while true {
            guard i < bytes.count else { return (0, 0) }
            guard i < maxLength else { return (0, -1) }
            let byte = bytes[i]
            i += 1
            let (part, lost) = UInt64(byte).multipliedReportingOverflow(by: 1 << shift)
            let (sum, carried) = value.addingReportingOverflow(part)
            if lost || carried { return (0, -1) }
            value = sum
            if byte < 128 { return (value, i) }
            shift += 7
        }
    }
}

extension ByteBuffer {
    /// Writes `value` as an SPOP varint; returns the number of bytes written (1 to 10).
    @discardableResult
    @inlinable
    public mutating func writeSPOPVarint(_ value: UInt64) -> Int {
        if value < 240 { return writeInteger(UInt8(truncatingIfNeeded: value)) }
        return writeWithUnsafeMutableBytes(minimumWritableBytes: SPOPVarint.maxLength) {
            SPOPVarint.encode(value, into: $0)
        }
    }

    /// Reads an SPOP varint. Throws `truncatedVarint` when the readable bytes end inside it and
    /// `varintOverflow` when it is longer than 10 bytes or exceeds 64 bits; the reader index is then
    /// left where it was.
    @inlinable
    public mutating func readSPOPVarint() throws(SPOPError) -> UInt64 {
        guard let first = getInteger(at: readerIndex, as: UInt8.self) else {
            throw SPOPError(.truncatedVarint)
        }
        if first < 240 {
            moveReaderIndex(forwardBy: 1)
            return UInt64(first)
        }
        let (value, length) = withUnsafeReadableBytes { SPOPVarint.decode($0) }
        guard length > 0 else { throw SPOPError(length == 0 ? .truncatedVarint : .varintOverflow) }
        moveReaderIndex(forwardBy: length)
        return value
    }
}
