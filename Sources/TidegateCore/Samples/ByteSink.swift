import NIOCore

/// Somewhere bytes can be appended: a `ByteBuffer`, or the plain array log lines are built in.
/// The text helpers are generic over it so that rendering can avoid `ByteBuffer`'s per-write checks.
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf raw: UnsafeRawBufferPointer)
}

extension ByteSink {
    @inline(__always)
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    mutating func append(string: String) {
        var copy = string
        copy.withUTF8 { append(contentsOf: UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    mutating func append(buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func append(bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(contentsOf: $0) }
    }
}

extension ByteBuffer: ByteSink {
    @inline(__always)
    mutating func append(_ byte: UInt8) { writeInteger(byte) }

    @inline(__always)
    mutating func append(contentsOf raw: UnsafeRawBufferPointer) { writeBytes(raw) }
}

/// A growable byte array used to build one line before handing it over in a single write.
struct ByteLine: ByteSink {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    @inline(__always)
    mutating func append(_ byte: UInt8) { bytes.append(byte) }

    @inline(__always)
    mutating func append(contentsOf raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
}
