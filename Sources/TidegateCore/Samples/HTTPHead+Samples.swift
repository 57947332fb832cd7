import NIOCore
import TidegateHTTP

/// Byte-level readers over a message head for the HTTP sample fetches. Values are `ByteBuffer`
/// slices of the head's storage: nothing is copied.
extension HTTPHead {
    /// The value of field `index` as a buffer slice.
    @inline(__always)
    func valueBuffer(at index: Int) -> ByteBuffer { ByteBuffer(valueBytes(at: index)) }

    /// Whether field `index` has name `name` (nil matches every field).
    @inline(__always)
    func field(_ index: Int, matches name: String?) -> Bool {
        guard let name else { return true }
        return field(index, isNamed: name)
    }

    /// Calls `body` with each value of the fields named `name` (every field when nil), in order,
    /// comma-separated lists split and trimmed when `split`, until `body` returns true.
    func forEachValue(named name: String?, split: Bool, _ body: (ByteBuffer) -> Bool) {
        for index in fields.indices where field(index, matches: name) {
            let value = valueBuffer(at: index)
            if !split {
                if body(value) { return }
                continue
            }
            var stop = false
            HTTPHead.forEachListElement(value) { element in
                stop = body(element)
                return stop
            }
            if stop { return }
        }
    }

    /// How many values `forEachValue` would produce.
    func valueCount(named name: String?, split: Bool) -> Int {
        var count = 0
        forEachValue(named: name, split: split) { _ in
            count += 1
            return false
        }
        return count
    }

    /// The `occurrence`-th value: positive counts from the first (1 is the first), negative from
    /// the last (-1 is the last).
    func value(named name: String?, occurrence: Int, split: Bool) -> ByteBuffer? {
        if occurrence < 0 { return valueFromEnd(named: name, position: -occurrence, split: split) }
        var seen = 0
        var result: ByteBuffer?
        forEachValue(named: name, split: split) { value in
            seen += 1
            if seen == occurrence {
                result = value
                return true
            }
            return false
        }
        return result
    }

    /// The `position`-th value counting from the last one (1 is the last), scanning backwards.
    private func valueFromEnd(named name: String?, position: Int, split: Bool) -> ByteBuffer? {
        var remaining = position
        var index = fields.count - 1
        while index >= 0 {
            defer { index -= 1 }
            guard field(index, matches: name) else { continue }
            let value = valueBuffer(at: index)
            if !split {
                remaining -= 1
                if remaining == 0 { return value }
                continue
            }
            let base = value.readerIndex
            let found: ByteBuffer? = value.withUnsafeReadableBytes { raw in
                var end = raw.count
                var i = raw.count
                while i >= 0 {
                    if i == 0 || raw[i - 1] == UInt8(ascii: ",") {
                        remaining -= 1
                        if remaining == 0 {
                            var lo = i
                            var hi = end
                            while lo < hi, raw[lo] == 0x20 || raw[lo] == 0x09 { lo += 1 }
                            while hi > lo, raw[hi - 1] == 0x20 || raw[hi - 1] == 0x09 { hi -= 1 }
                            return lo == 0 && hi == raw.count ? value : value.getSlice(at: base + lo, length: hi - lo)!
                        }
                        end = i - 1
                    }
                    i -= 1
                }
                return nil
            }
            if let found { return found }
        }
        return nil
    }

    /// Splits a comma-separated field value into trimmed elements (quotes are not interpreted, as in
    /// HAProxy).
    static func forEachListElement(_ value: ByteBuffer, _ body: (ByteBuffer) -> Bool) {
        let base = value.readerIndex
        value.withUnsafeReadableBytes { raw in
            var start = 0
            var i = 0
            while i <= raw.count {
                if i == raw.count || raw[i] == UInt8(ascii: ",") {
                    var lo = start
                    var hi = i
                    while lo < hi, raw[lo] == 0x20 || raw[lo] == 0x09 { lo += 1 }
                    while hi > lo, raw[hi - 1] == 0x20 || raw[hi - 1] == 0x09 { hi -= 1 }
                    let element =
                        lo == 0 && hi == raw.count ? value : value.getSlice(at: base + lo, length: hi - lo)!
                    if body(element) { return }
                    start = i + 1
                }
                i += 1
            }
        }
    }

    /// The request target as a buffer slice.
    var targetBuffer: ByteBuffer { ByteBuffer(targetBytes) }

    /// The path of the request target (HAProxy's `path`): from the first slash after any
    /// `scheme://authority` up to the `?`; nil for `*` and authority-form targets.
    var pathBuffer: ByteBuffer? {
        var target = ByteBuffer(targetBytes)
        guard let range = target.withUnsafeReadableBytes({ HTTPPathParser.pathRange($0) }) else { return nil }
        let start = target.readerIndex
        target.moveWriterIndex(to: start + range.upperBound)
        target.moveReaderIndex(to: start + range.lowerBound)
        return target
    }

    /// The query string (after the first `?`), nil when there is no `?`.
    var queryBuffer: ByteBuffer? {
        var target = ByteBuffer(targetBytes)
        guard let q = target.readableBytesView.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        target.moveReaderIndex(to: q + 1)
        return target
    }

    /// The version number after `HTTP/` (`1.1`).
    var versionNumberBuffer: ByteBuffer {
        versionMinor == 0 ? HTTPHead.version10 : HTTPHead.version11
    }

    private static let version10 = ByteBuffer(string: "1.0")
    private static let version11 = ByteBuffer(string: "1.1")
}
