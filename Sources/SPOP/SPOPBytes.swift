import NIOCore

// Length-prefixed byte strings: names (KV names, message names, variable names) and the data of
// STRING and BINARY values are a varint length followed by that many bytes, no terminator.

extension ByteBuffer {
    /// Writes a varint length and `bytes`; returns the number of bytes written.
    @discardableResult
    @inlinable
    public mutating func writeSPOPBytes(_ bytes: some Collection<UInt8>) -> Int {
        withContiguousBytes(bytes) { writeSPOPBytes(raw: $0) }
    }

    /// Writes a varint length and the readable bytes of `bytes`; returns the number of bytes written.
    @discardableResult
    @inlinable
    public mutating func writeSPOPBytes(_ bytes: ByteBuffer) -> Int {
        bytes.withUnsafeReadableBytes { writeSPOPBytes(raw: $0) }
    }

    @inlinable
    mutating func writeSPOPBytes(raw source: UnsafeRawBufferPointer) -> Int {
        writeWithUnsafeMutableBytes(minimumWritableBytes: SPOPVarint.maxLength + source.count) {
            var out = SPOPWireWriter($0)
            out.lengthPrefixed(source)
            return out.index
        }
    }

    /// Writes a varint length and `text`'s UTF-8 bytes; returns the number of bytes written.
    @discardableResult
    @inlinable
    public mutating func writeSPOPBytes(_ text: String) -> Int {
        writeSPOPBytes(text.utf8)
    }

    /// Reads a varint length and returns that many bytes as a slice of this buffer (no copy). Throws
    /// `truncatedVarint` or `truncatedData` when the input ends first; the reader index is then left
    /// where it was.
    @inlinable
    public mutating func readSPOPBytes() throws(SPOPError) -> ByteBuffer {
        let start = readerIndex
        let length = try readSPOPVarint()
        guard length <= UInt64(readableBytes) else {
            moveReaderIndex(to: start)
            throw SPOPError(.truncatedData)
        }
        return readSlice(length: Int(length))!
    }
}
