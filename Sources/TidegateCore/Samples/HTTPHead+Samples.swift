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
        var wanted = occurrence
        if occurrence < 0 {
            let total = valueCount(named: name, split: split)
            wanted = total + occurrence + 1
            if wanted <= 0 { return nil }
        }
        var seen = 0
        var result: ByteBuffer?
        forEachValue(named: name, split: split) { value in
            seen += 1
            if seen == wanted {
                result = value
                return true
            }
            return false
        }
        return result
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
        let target = targetBuffer
        guard let range = target.withUnsafeReadableBytes({ HTTPPathParser.pathRange($0) }) else { return nil }
        return target.getSlice(at: target.readerIndex + range.lowerBound, length: range.count)
    }

    /// The query string (after the first `?`), nil when there is no `?`.
    var queryBuffer: ByteBuffer? {
        let target = targetBuffer
        guard let q = target.readableBytesView.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        let offset = q - target.readerIndex + 1
        return target.getSlice(at: target.readerIndex + offset, length: target.readableBytes - offset)
    }

    /// The version number after `HTTP/` (`1.1`).
    var versionNumberBuffer: ByteBuffer {
        versionMinor == 0 ? HTTPHead.version10 : HTTPHead.version11
    }

    private static let version10 = ByteBuffer(string: "1.0")
    private static let version11 = ByteBuffer(string: "1.1")
}
