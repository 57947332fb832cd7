import NIOCore

/// Byte-level text helpers shared by fetches, converters, pattern matching and log formats.
enum SampleText {
    static let hexDigitsUpper: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Appends the decimal form of `value`.
    @inline(__always)
    static func writeDecimal<S: ByteSink>(_ value: Int64, to buffer: inout S) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
            writeDecimal(value.magnitude, to: &buffer)
        } else {
            writeDecimal(UInt64(value), to: &buffer)
        }
    }

    /// Appends the decimal form of `value`.
    @inline(__always)
    static func writeDecimal<S: ByteSink>(_ value: Int, to buffer: inout S) {
        writeDecimal(Int64(value), to: &buffer)
    }

    /// Appends the decimal form of `value`.
    static func writeDecimal<S: ByteSink>(_ value: UInt64, to buffer: inout S) {
        if value < 10 {
            buffer.append(UInt8(truncatingIfNeeded: value) &+ 0x30)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var v = value
            var i = 20
            while v > 0 {
                i -= 1
                digits[i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
            }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[i..<20]))
        }
    }

    /// Appends `value` in decimal, left-padded with zeros to `width` digits.
    static func writePadded<S: ByteSink>(_ value: Int, width: Int, to buffer: inout S) {
        var digits = 1
        var limit = 10
        while value >= limit && digits < 19 {
            digits += 1
            limit *= 10
        }
        if digits < width {
            for _ in 0..<(width - digits) { buffer.append(UInt8(ascii: "0")) }
        }
        writeDecimal(Int64(value), to: &buffer)
    }

    /// Uppercase hexadecimal of the readable bytes.
    static func hex(_ buffer: ByteBuffer) -> String {
        var out = ByteBuffer()
        writeHex(buffer, to: &out)
        return String(buffer: out)
    }

    /// Appends the uppercase hexadecimal form of the readable bytes of `input`.
    static func writeHex(_ input: ByteBuffer, to out: inout ByteBuffer) {
        out.reserveCapacity(minimumWritableBytes: input.readableBytes * 2)
        input.withUnsafeReadableBytes { raw in
            for byte in raw {
                out.writeInteger(hexDigitsUpper[Int(byte >> 4)])
                out.writeInteger(hexDigitsUpper[Int(byte & 15)])
            }
        }
    }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Decodes a hexadecimal string (even length) into bytes.
    static func decodeHex(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = hexValue(utf8[i]), let lo = hexValue(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// HAProxy's string-to-integer cast (`read_int64`): an optional sign then digits, stopping at the
    /// first other byte, saturating on overflow. Only an empty input fails.
    static func parseLeadingInteger(_ buffer: ByteBuffer) -> Int64? {
        guard buffer.readableBytes > 0 else { return nil }
        return buffer.withUnsafeReadableBytes { parseLeadingInteger($0) }
    }

    static func parseLeadingInteger(_ raw: UnsafeRawBufferPointer) -> Int64 {
        var i = 0
        var negative = false
        if i < raw.count, raw[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        } else if i < raw.count, raw[i] == UInt8(ascii: "+") {
            i += 1
        }
        var magnitude: UInt64 = 0
        var saturated = false
        while i < raw.count {
            let d = raw[i] &- 0x30
            if d > 9 { break }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 {
                saturated = true
                break
            }
            magnitude = s
            i += 1
        }
        if negative {
            if saturated || magnitude > UInt64(Int64.max) + 1 { return .min }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        if saturated || magnitude > UInt64(Int64.max) { return .max }
        return Int64(magnitude)
    }

    /// Parses a whole decimal integer (optional sign) or returns nil.
    static func parseInteger(_ text: some StringProtocol) -> Int64? {
        Int64(text)
    }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 65 < 26 ? byte | 0x20 : byte
    }

    @inline(__always)
    static func upper(_ byte: UInt8) -> UInt8 {
        byte &- 97 < 26 ? byte & 0xdf : byte
    }

    /// Byte equality of two regions, optionally ignoring ASCII case.
    @inline(__always)
    static func equal(
        _ a: UnsafeRawBufferPointer, _ aStart: Int, _ b: UnsafeRawBufferPointer, _ bStart: Int, count: Int,
        ignoreCase: Bool
    ) -> Bool {
        if ignoreCase {
            for i in 0..<count where lower(a[aStart + i]) != lower(b[bStart + i]) { return false }
        } else {
            for i in 0..<count where a[aStart + i] != b[bStart + i] { return false }
        }
        return true
    }

    /// FNV-1a hash of the bytes, optionally of their ASCII lowercase form.
    @inline(__always)
    static func hash(_ raw: UnsafeRawBufferPointer, ignoreCase: Bool) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if ignoreCase {
            for byte in raw { h = (h ^ UInt64(lower(byte))) &* 0x100_0000_01b3 }
        } else {
            for byte in raw { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return h
    }

    /// Whether `raw` is the ASCII string `text`.
    static func equals(_ raw: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard raw.count == text.utf8CodeUnitCount else { return false }
        return text.withUTF8Buffer { t in
            for i in 0..<raw.count where raw[i] != t[i] { return false }
            return true
        }
    }
}
