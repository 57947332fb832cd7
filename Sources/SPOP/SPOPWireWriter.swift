import NIOCore

// Encoding straight into a buffer's writable bytes: each public writer reserves what it needs once and
// stores the bytes itself, instead of one ByteBuffer call (with its checks) per field.

/// Stores bytes at increasing offsets of memory the caller has reserved.
@usableFromInline
struct SPOPWireWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline var index = 0

    @inlinable
    init(_ buffer: UnsafeMutableRawBufferPointer) { base = buffer.baseAddress! }

    @inlinable
    mutating func byte(_ value: UInt8) {
        base.storeBytes(of: value, toByteOffset: index, as: UInt8.self)
        index += 1
    }

    @inlinable
    mutating func uint32(_ value: UInt32) {
        base.storeBytes(of: value.bigEndian, toByteOffset: index, as: UInt32.self)
        index += 4
    }

    @inlinable
    mutating func uint64(_ value: UInt64) {
        base.storeBytes(of: value.bigEndian, toByteOffset: index, as: UInt64.self)
        index += 8
    }

    @inlinable
    mutating func varint(_ value: UInt64) {
        index += SPOPVarint.encode(
            value, into: UnsafeMutableRawBufferPointer(start: base + index, count: SPOPVarint.maxLength))
    }

    @inlinable
    mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        (base + index).copyMemory(from: source, byteCount: bytes.count)
        index += bytes.count
    }

    /// A varint length and the bytes.
    @inlinable
    mutating func lengthPrefixed(_ bytes: UnsafeRawBufferPointer) {
        varint(UInt64(bytes.count))
        raw(bytes)
    }

    @inlinable
    mutating func typedData(_ value: SPOPTypedData) {
        switch value {
        case .null: byte(SPOPTypedData.Kind.null.rawValue)
        case .bool(let v): byte(SPOPTypedData.Kind.bool.rawValue | (v ? 0x10 : 0))
        case .int32(let v):
            byte(SPOPTypedData.Kind.int32.rawValue)
            varint(UInt64(bitPattern: Int64(v)))
        case .uint32(let v):
            byte(SPOPTypedData.Kind.uint32.rawValue)
            varint(UInt64(v))
        case .int64(let v):
            byte(SPOPTypedData.Kind.int64.rawValue)
            varint(UInt64(bitPattern: v))
        case .uint64(let v):
            byte(SPOPTypedData.Kind.uint64.rawValue)
            varint(v)
        case .ipv4(let v):
            byte(SPOPTypedData.Kind.ipv4.rawValue)
            uint32(v.rawValue)
        case .ipv6(let v):
            byte(SPOPTypedData.Kind.ipv6.rawValue)
            uint64(v.high)
            uint64(v.low)
        case .string(let b):
            byte(SPOPTypedData.Kind.string.rawValue)
            b.withUnsafeReadableBytes { lengthPrefixed($0) }
        case .binary(let b):
            byte(SPOPTypedData.Kind.binary.rawValue)
            b.withUnsafeReadableBytes { lengthPrefixed($0) }
        }
    }
}

/// Calls `body` with the contiguous bytes of `bytes` (copied into an array only for a collection that
/// has no contiguous storage).
@inlinable
func withContiguousBytes<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    if let result = bytes.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
    return Array(bytes).withUnsafeBytes(body)
}

/// Encodes `items` one after the other into a new buffer; returns it and the number of items.
func encodeSPOPItems<Item>(
    _ items: some Sequence<Item>, _ write: (inout ByteBuffer, Item) -> Void
) -> (bytes: ByteBuffer, count: Int) {
    var buffer = ByteBuffer()
    var count = 0
    for item in items {
        write(&buffer, item)
        count += 1
    }
    return (buffer, count)
}
