/// An IPv6 address as carried by SPOP's IPV6 typed data (16 bytes, network order).
public struct SPOPIPv6Address: Sendable, Hashable, CustomStringConvertible {
    /// The first 8 bytes of the address, as a big-endian number.
    public var high: UInt64
    /// The last 8 bytes of the address, as a big-endian number.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address made of exactly 16 bytes in network order; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// The address made of eight 16-bit groups.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has 8 groups")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        self.init(high: high, low: low)
    }

    /// Parses IPv6 text as `inet_pton` does: up to eight groups of 1 to 4 hex digits, one `::` for a run
    /// of zero groups, and an optional dotted-quad IPv4 address in place of the last two groups.
    public init?(_ text: some StringProtocol) {
        let s = Array(text.utf8)
        let n = s.count
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gap: Int? = nil
        var i = 0
        guard n > 0 else { return nil }
        if s[0] == UInt8(ascii: ":") {
            guard n > 1, s[1] == UInt8(ascii: ":") else { return nil }
            gap = 0
            i = 2
        }
        while i < n {
            guard groups.count < 8 else { return nil }
            var j = i
            var value: UInt32 = 0
            while j < n, j - i < 4, let digit = Self.hexValue(s[j]) {
                value = value << 4 | UInt32(digit)
                j += 1
            }
            if j < n, s[j] == UInt8(ascii: ".") {
                guard groups.count <= 6, let v4 = SPOPIPv4Address(String(decoding: s[i...], as: UTF8.self)) else {
                    return nil
                }
                groups.append(UInt16(truncatingIfNeeded: v4.rawValue >> 16))
                groups.append(UInt16(truncatingIfNeeded: v4.rawValue))
                i = n
                break
            }
            guard j > i else { return nil }
            groups.append(UInt16(value))
            if j == n {
                i = n
                break
            }
            guard s[j] == UInt8(ascii: ":") else { return nil }
            if j + 1 < n, s[j + 1] == UInt8(ascii: ":") {
                guard gap == nil else { return nil }
                gap = groups.count
                i = j + 2
            } else {
                i = j + 1
                guard i < n else { return nil }
            }
        }
        if let gap {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        } else {
            guard groups.count == 8 else { return nil }
        }
        self.init(groups: groups)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The eight 16-bit groups.
    public var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
    }

    /// The 16 bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// Text as glibc's `inet_ntop` writes it (what HAProxy's example agent hands its scripts): lowercase
    /// hex, the longest run of two or more zero groups (the first of equal runs) as `::`, and the last
    /// 32 bits as dotted quad for `::a.b.c.d` and `::ffff:a.b.c.d`.
    public var description: String {
        let g = groups
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            guard g[i] == 0 else {
                i += 1
                continue
            }
            var j = i
            while j < 8 && g[j] == 0 { j += 1 }
            if j - i > bestLength {
                bestStart = i
                bestLength = j - i
            }
            i = j
        }
        if bestLength < 2 { bestStart = -1 }
        if bestStart == 0 && (bestLength == 6 || (bestLength == 5 && g[5] == 0xFFFF)) {
            let v4 = SPOPIPv4Address(rawValue: UInt32(truncatingIfNeeded: low))
            return bestLength == 5 ? "::ffff:\(v4)" : "::\(v4)"
        }
        var text = ""
        i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(g[i], radix: 16)
            i += 1
        }
        return text
    }
}
