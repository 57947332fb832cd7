import NIOCore

// Validation of encoded payloads straight on the bytes: no slices, no reference counting. The ByteBuffer
// readers build values; these only check the structure and find where items end, so a list can be
// validated once when a frame arrives and decoded later without checks.

/// A position in a block of encoded SPOP bytes, with checked steps over its items.
@usableFromInline
struct SPOPWireScanner {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var index: Int

    @inlinable
    init(_ bytes: UnsafeRawBufferPointer, index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    @inlinable
    var isAtEnd: Bool { index >= bytes.count }

    @inlinable
    mutating func byte() throws(SPOPError) -> UInt8 {
        guard index < bytes.count else { throw SPOPError(.truncatedData) }
        defer { index += 1 }
        return bytes[index]
    }

    @inlinable
    mutating func varint() throws(SPOPError) -> UInt64 {
        guard index < bytes.count else { throw SPOPError(.truncatedVarint) }
        let first = bytes[index]
        if first < 240 {
            index += 1
            return UInt64(first)
        }
        let (value, length) = SPOPVarint.decode(UnsafeRawBufferPointer(rebasing: bytes[index...]))
        guard length > 0 else { throw SPOPError(length == 0 ? .truncatedVarint : .varintOverflow) }
        index += length
        return value
    }

    @inlinable
    mutating func skip(_ count: Int) throws(SPOPError) {
        guard count <= bytes.count - index else { throw SPOPError(.truncatedData) }
        index += count
    }

    /// A varint length and that many bytes.
    @inlinable
    mutating func skipLengthPrefixed() throws(SPOPError) {
        let length = try varint()
        guard length <= UInt64(bytes.count - index) else { throw SPOPError(.truncatedData) }
        index += Int(length)
    }

    @inlinable
    mutating func skipTypedData() throws(SPOPError) {
        let type = try byte()
        switch type & 0x0F {
        case SPOPTypedData.Kind.null.rawValue, SPOPTypedData.Kind.bool.rawValue:
            return
        case SPOPTypedData.Kind.int32.rawValue:
            guard SPOPTypedData.int32(wire: try varint()) != nil else { throw SPOPError(.integerOutOfRange) }
        case SPOPTypedData.Kind.uint32.rawValue:
            guard try varint() <= UInt64(UInt32.max) else { throw SPOPError(.integerOutOfRange) }
        case SPOPTypedData.Kind.int64.rawValue, SPOPTypedData.Kind.uint64.rawValue:
            _ = try varint()
        case SPOPTypedData.Kind.ipv4.rawValue:
            try skip(4)
        case SPOPTypedData.Kind.ipv6.rawValue:
            try skip(16)
        case SPOPTypedData.Kind.string.rawValue, SPOPTypedData.Kind.binary.rawValue:
            try skipLengthPrefixed()
        default:
            throw SPOPError(.unknownDataType)
        }
    }

    @inlinable
    mutating func skipKVItems(_ count: Int) throws(SPOPError) {
        for _ in 0..<count {
            try skipLengthPrefixed()
            try skipTypedData()
        }
    }

    /// Name, argument count, arguments; returns the argument count.
    @inlinable
    mutating func skipMessage() throws(SPOPError) -> Int {
        try skipLengthPrefixed()
        let count = Int(try byte())
        try skipKVItems(count)
        return count
    }

    @inlinable
    mutating func skipAction() throws(SPOPError) {
        let type = try byte()
        let argumentCount = try byte()
        guard SPOPVarScope(rawValue: try byte()) != nil else { throw SPOPError(.invalidAction) }
        switch (type, argumentCount) {
        case (SPOPAction.setVarType, 3):
            try skipLengthPrefixed()
            try skipTypedData()
        case (SPOPAction.unsetVarType, 2):
            try skipLengthPrefixed()
        default:
            throw SPOPError(.invalidAction)
        }
    }
}

/// Validates all of `payload`'s readable bytes as a sequence of items that `skipItem` steps over; returns
/// their number.
@inlinable
func countSPOPItems(
    in payload: ByteBuffer, skipItem: (inout SPOPWireScanner) throws(SPOPError) -> Void
) throws(SPOPError) -> Int {
    try payload.withUnsafeReadableBytes { (raw) throws(SPOPError) -> Int in
        var scanner = SPOPWireScanner(raw)
        var count = 0
        while !scanner.isAtEnd {
            try skipItem(&scanner)
            count += 1
        }
        return count
    }
}
