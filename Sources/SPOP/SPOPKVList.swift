import NIOCore

/// One item of a KV-LIST: a name (bytes, not necessarily UTF-8) and a typed value.
public struct SPOPKVItem: Sendable, Hashable {
    public var name: ByteBuffer
    public var value: SPOPTypedData

    public init(name: ByteBuffer, value: SPOPTypedData) {
        self.name = name
        self.value = value
    }

    /// An item whose name is `name`'s UTF-8 bytes.
    public init(_ name: String, _ value: SPOPTypedData) {
        self.init(name: ByteBuffer(string: name), value: value)
    }

    /// The name decoded as UTF-8 (invalid sequences replaced).
    public var nameString: String { String(buffer: name) }
}

/// A validated KV-LIST read from a frame: the items of a HELLO or DISCONNECT payload, or the arguments
/// of a NOTIFY message.
///
/// It keeps the list's bytes (a slice of the frame, no copy) and decodes items as it is iterated, so
/// reading a list allocates nothing per item. It was checked when it was made, so iteration cannot fail.
public struct SPOPKVList: Sequence, Sendable, Hashable {
    /// The encoded items.
    public let bytes: ByteBuffer
    /// The number of items.
    public let count: Int

    /// Reads `count` items from `buffer`, validating each; the list's bytes are consumed. On error the
    /// reader index is left where it was.
    public init(reading count: Int, from buffer: inout ByteBuffer) throws(SPOPError) {
        precondition(count >= 0, "a list has a non-negative number of items")
        let length = try buffer.withUnsafeReadableBytes { (raw) throws(SPOPError) -> Int in
            var scanner = SPOPWireScanner(raw)
            try scanner.skipKVItems(count)
            return scanner.index
        }
        self.init(trusted: buffer.readSlice(length: length)!, count: count)
    }

    /// The list made of all of `payload`'s readable bytes (HELLO and DISCONNECT payloads).
    public init(validating payload: ByteBuffer) throws(SPOPError) {
        let count = try countSPOPItems(in: payload) { (scanner) throws(SPOPError) in try scanner.skipKVItems(1) }
        self.init(trusted: payload, count: count)
    }

    /// A list already known to hold `count` valid items.
    @inlinable
    init(trusted bytes: ByteBuffer, count: Int) {
        self.bytes = bytes
        self.count = count
    }

    /// Builds a list by encoding `items`.
    public init(_ items: some Sequence<SPOPKVItem>) {
        (bytes, count) = encodeSPOPItems(items) { $0.writeSPOPKVItem($1) }
    }

    public var underestimatedCount: Int { count }

    /// The value of the first item named `name`, nil if there is none.
    public subscript(name: String) -> SPOPTypedData? {
        var wanted = name
        return wanted.withUTF8 { key in
            for item in self where item.name.readableBytesView.elementsEqual(key) { return item.value }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(rest: bytes) }

    /// Decodes the items one by one.
    public struct Iterator: IteratorProtocol {
        var rest: ByteBuffer

        public mutating func next() -> SPOPKVItem? {
            guard rest.readableBytes > 0 else { return nil }
            // Validated when the list was made: these reads cannot fail.
            guard let name = try? rest.readSPOPBytes(), let value = try? rest.readSPOPTypedData() else {
                rest.clear()
                return nil
            }
            return SPOPKVItem(name: name, value: value)
        }
    }
}

extension ByteBuffer {
    /// Writes a KV item: its name (length-prefixed, no type byte) and its typed value.
    @discardableResult
    public mutating func writeSPOPKVItem(_ item: SPOPKVItem) -> Int {
        writeSPOPBytes(item.name) + writeSPOPTypedData(item.value)
    }

    /// Writes a KV item named `name` without building an `SPOPKVItem` first.
    @discardableResult
    public mutating func writeSPOPKVItem(name: String, value: SPOPTypedData) -> Int {
        writeSPOPBytes(name) + writeSPOPTypedData(value)
    }
}
