import NIOCore

/// The compiled patterns of an ACL or a map, indexed for their match method.
///
/// `match` returns the index of the pattern that matched (the first in order, or the most specific
/// for `ip` and `beg`, as HAProxy's trees do), so maps can return the associated value.
struct PatternList: Sendable {
    /// A text pattern: a range of `pool` (plain data, so iterating costs no reference counting).
    struct Text: Sendable {
        var offset: Int
        var length: Int
        var ignoreCase: Bool
        var index: Int
    }

    struct Range: Sendable {
        var minimum: Int64?
        var maximum: Int64?
        var index: Int

        @inline(__always)
        func contains(_ value: Int64) -> Bool {
            if let minimum, value < minimum { return false }
            if let maximum, value > maximum { return false }
            return true
        }
    }

    let method: PatternMatchMethod
    private(set) var count = 0
    private var texts: [Text] = []
    /// The bytes of every text pattern, back to back.
    private var pool: [UInt8] = []
    /// Exact-match index (str, bin): hash of the (lowercased when ignoring case) bytes → positions in `texts`.
    private var exactSensitive: [UInt64: [Int]] = [:]
    private var exactInsensitive: [UInt64: [Int]] = [:]
    private var regexes: [(regex: CompiledRegex, index: Int)] = []
    private var ranges: [Range] = []
    /// IPv4 networks by prefix length, longest first: masked address → pattern index.
    private var ipv4: [(prefix: Int, mask: UInt32, networks: [UInt32: Int])] = []
    private var ipv6: [(prefix: Int, mask: IPv6Address, networks: [IPv6Address: Int])] = []

    init(method: PatternMatchMethod) {
        self.method = method
    }

    var isEmpty: Bool { count == 0 }

    /// Adds a pattern written as `text` with index `index`.
    mutating func add(_ text: String, ignoreCase: Bool, index: Int) throws(SampleCompileError) {
        switch method {
        case .found, .bool:
            throw SampleCompileError(.invalidPattern, "'-m \(method.rawValue)' does not take patterns (got '\(text)')")
        case .int, .len:
            ranges.append(try PatternList.parseRange(text, index: index))
        case .ip:
            try addNetwork(text, index: index)
        case .bin:
            guard let bytes = SampleText.decodeHex(text) else {
                throw SampleCompileError(.invalidPattern, "'\(text)' is not a valid hexadecimal binary pattern")
            }
            addExact(bytes, ignoreCase: false, index: index)
        case .str:
            addExact(Array(text.utf8), ignoreCase: ignoreCase, index: index)
        case .sub, .beg, .end, .dir, .dom, .meth:
            appendText(Array(text.utf8), ignoreCase: ignoreCase, index: index)
        case .reg:
            regexes.append((try CompiledRegex(text, ignoresCase: ignoreCase), index))
        }
        count += 1
    }

    private mutating func appendText(_ bytes: [UInt8], ignoreCase: Bool, index: Int) {
        texts.append(Text(offset: pool.count, length: bytes.count, ignoreCase: ignoreCase, index: index))
        pool.append(contentsOf: bytes)
    }

    private mutating func addExact(_ bytes: [UInt8], ignoreCase: Bool, index: Int) {
        let position = texts.count
        appendText(bytes, ignoreCase: ignoreCase, index: index)
        let hash = bytes.withUnsafeBytes { SampleText.hash($0, ignoreCase: ignoreCase) }
        if ignoreCase {
            exactInsensitive[hash, default: []].append(position)
        } else {
            exactSensitive[hash, default: []].append(position)
        }
    }

    private mutating func addNetwork(_ text: String, index: Int) throws(SampleCompileError) {
        var address = Substring(text)
        var prefix: Substring?
        if let slash = text.firstIndex(of: "/") {
            address = text[..<slash]
            prefix = text[text.index(after: slash)...]
        }
        if let v4 = IPv4Address(address) {
            var mask: UInt32 = .max
            var length = 32
            if let prefix {
                if let bits = Int(prefix), (0...32).contains(bits) {
                    length = bits
                    mask = IPv4Address.mask(prefixLength: bits)
                } else if let dotted = IPv4Address(prefix), PatternList.isContiguous(dotted.value) {
                    mask = dotted.value
                    length = dotted.value.nonzeroBitCount
                } else {
                    throw SampleCompileError(.invalidPattern, "'\(text)' is not a valid IPv4 address or network")
                }
            }
            if let slot = ipv4.firstIndex(where: { $0.prefix == length }) {
                if ipv4[slot].networks[v4.value & mask] == nil { ipv4[slot].networks[v4.value & mask] = index }
            } else {
                ipv4.append((length, mask, [v4.value & mask: index]))
                ipv4.sort { $0.prefix > $1.prefix }
            }
            return
        }
        if let v6 = IPv6Address(address) {
            var length = 128
            if let prefix {
                guard let bits = Int(prefix), (0...128).contains(bits) else {
                    throw SampleCompileError(.invalidPattern, "'\(text)' is not a valid IPv6 address or network")
                }
                length = bits
            }
            let mask = IPv6Address.mask(prefixLength: length)
            let network = v6.masked(by: mask)
            if let slot = ipv6.firstIndex(where: { $0.prefix == length }) {
                if ipv6[slot].networks[network] == nil { ipv6[slot].networks[network] = index }
            } else {
                ipv6.append((length, mask, [network: index]))
                ipv6.sort { $0.prefix > $1.prefix }
            }
            return
        }
        throw SampleCompileError(.invalidPattern, "'\(text)' is not a valid IPv4 or IPv6 address")
    }

    private static func isContiguous(_ mask: UInt32) -> Bool {
        let inverted = ~mask
        return inverted & (inverted &+ 1) == 0
    }

    /// Parses an integer pattern: `v`, `a:b`, `:b`, `a:` (`-` is accepted as separator too, as HAProxy does).
    static func parseRange(_ text: String, index: Int) throws(SampleCompileError) -> Range {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw SampleCompileError(.invalidPattern, "empty integer pattern") }
        guard let separator = bytes.firstIndex(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }) else {
            guard let value = Int64(text) else {
                throw SampleCompileError(.invalidPattern, "'\(text)' is not a number")
            }
            return Range(minimum: value, maximum: value, index: index)
        }
        let low = String(decoding: bytes[..<separator], as: UTF8.self)
        let high = String(decoding: bytes[(separator + 1)...], as: UTF8.self)
        let minimum = low.isEmpty ? nil : Int64(low)
        let maximum = high.isEmpty ? nil : Int64(high)
        if (!low.isEmpty && minimum == nil) || (!high.isEmpty && maximum == nil) || (low.isEmpty && high.isEmpty) {
            throw SampleCompileError(.invalidPattern, "'\(text)' is not a valid integer range")
        }
        if let minimum, let maximum, minimum > maximum {
            throw SampleCompileError(.invalidPattern, "'\(text)' is not a valid integer range")
        }
        return Range(minimum: minimum, maximum: maximum, index: index)
    }

    // MARK: - Matching

    /// The index of the matching pattern for `sample` (already of `method.sampleType`), or nil.
    func match(_ sample: Sample) -> Int? {
        switch method {
        case .found, .bool:
            return nil
        case .int:
            guard case .sint(let value) = sample else { return nil }
            return firstRange(containing: value)
        case .len:
            guard let buffer = sample.buffer else { return nil }
            return firstRange(containing: Int64(buffer.readableBytes))
        case .ip:
            return matchAddress(sample)
        case .str, .bin:
            guard let buffer = sample.buffer else { return nil }
            return buffer.withUnsafeReadableBytes { matchExact($0) }
        case .reg:
            guard let buffer = sample.buffer else { return nil }
            return buffer.withUnsafeReadableBytes { raw in
                for entry in regexes where entry.regex.matches(raw) { return entry.index }
                return nil
            }
        case .beg, .end, .sub, .dir, .dom:
            guard let buffer = sample.buffer else { return nil }
            return buffer.withUnsafeReadableBytes { matchText($0) }
        case .meth:
            guard let buffer = sample.buffer else { return nil }
            return buffer.withUnsafeReadableBytes { matchMethod($0) }
        }
    }

    private func firstRange(containing value: Int64) -> Int? {
        for range in ranges where range.contains(value) { return range.index }
        return nil
    }

    private func matchExact(_ raw: UnsafeRawBufferPointer) -> Int? {
        var best: Int?
        if !exactSensitive.isEmpty, let bucket = exactSensitive[SampleText.hash(raw, ignoreCase: false)] {
            best = firstEqual(raw, in: bucket, ignoreCase: false)
        }
        if !exactInsensitive.isEmpty, let bucket = exactInsensitive[SampleText.hash(raw, ignoreCase: true)],
            let found = firstEqual(raw, in: bucket, ignoreCase: true)
        {
            best = min(best ?? .max, found)
        }
        return best
    }

    private func firstEqual(_ raw: UnsafeRawBufferPointer, in bucket: [Int], ignoreCase: Bool) -> Int? {
        pool.withUnsafeBytes { pool -> Int? in
            for position in bucket {
                let text = texts[position]
                if text.length == raw.count,
                    SampleText.equal(pool, text.offset, raw, 0, count: raw.count, ignoreCase: ignoreCase)
                {
                    return text.index
                }
            }
            return nil
        }
    }

    private func matchText(_ raw: UnsafeRawBufferPointer) -> Int? {
        pool.withUnsafeBytes { pool -> Int? in
            texts.withUnsafeBufferPointer { texts -> Int? in
                var bestIndex: Int?
                var bestLength = -1
                for text in texts {
                    let pattern = UnsafeRawBufferPointer(rebasing: pool[text.offset..<(text.offset + text.length)])
                    let matched: Bool
                    switch method {
                    case .beg:
                        matched =
                            pattern.count <= raw.count
                            && SampleText.equal(raw, 0, pattern, 0, count: pattern.count, ignoreCase: text.ignoreCase)
                    case .end:
                        matched =
                            pattern.count <= raw.count
                            && SampleText.equal(
                                raw, raw.count - pattern.count, pattern, 0, count: pattern.count,
                                ignoreCase: text.ignoreCase)
                    case .sub:
                        matched = PatternList.contains(raw, pattern, ignoreCase: text.ignoreCase)
                    case .dir:
                        matched = PatternList.matchWord(
                            raw, pattern, ignoreCase: text.ignoreCase, delimiters: PatternList.dirDelimiters)
                    case .dom:
                        matched = PatternList.matchWord(
                            raw, pattern, ignoreCase: text.ignoreCase, delimiters: PatternList.domDelimiters)
                    default:
                        matched = false
                    }
                    guard matched else { continue }
                    if method != .beg { return text.index }
                    // Prefixes: the longest one wins (HAProxy's prefix tree), then the first.
                    if text.length > bestLength {
                        bestLength = text.length
                        bestIndex = text.index
                    }
                }
                return bestIndex
            }
        }
    }

    private static func isKnownMethod(_ raw: UnsafeRawBufferPointer) -> Bool {
        switch raw.count {
        case 3: return SampleText.equals(raw, "GET") || SampleText.equals(raw, "PUT")
        case 4: return SampleText.equals(raw, "HEAD") || SampleText.equals(raw, "POST")
        case 5: return SampleText.equals(raw, "TRACE")
        case 6: return SampleText.equals(raw, "DELETE")
        case 7: return SampleText.equals(raw, "OPTIONS") || SampleText.equals(raw, "CONNECT")
        default: return false
        }
    }

    private func matchMethod(_ raw: UnsafeRawBufferPointer) -> Int? {
        let sampleKnown = PatternList.isKnownMethod(raw)
        return pool.withUnsafeBytes { pool -> Int? in
            for text in texts {
                let pattern = UnsafeRawBufferPointer(rebasing: pool[text.offset..<(text.offset + text.length)])
                if PatternList.isKnownMethod(pattern) {
                    if sampleKnown, pattern.count == raw.count, pattern.elementsEqual(raw) { return text.index }
                    continue
                }
                if !sampleKnown, pattern.count == raw.count,
                    SampleText.equal(pattern, 0, raw, 0, count: raw.count, ignoreCase: text.ignoreCase)
                {
                    return text.index
                }
            }
            return nil
        }
    }

    private func matchAddress(_ sample: Sample) -> Int? {
        switch sample {
        case .ipv4(let address):
            if let found = lookup4(address) { return found }
            if !ipv6.isEmpty { return lookup6(address.mappedIPv6) }
            return nil
        case .ipv6(let address):
            if let found = lookup6(address) { return found }
            if !ipv4.isEmpty, let mapped = address.embeddedIPv4 { return lookup4(mapped) }
            return nil
        default:
            return nil
        }
    }

    private func lookup4(_ address: IPv4Address) -> Int? {
        for level in ipv4 {
            if let index = level.networks[address.value & level.mask] { return index }
        }
        return nil
    }

    private func lookup6(_ address: IPv6Address) -> Int? {
        for level in ipv6 {
            if let index = level.networks[address.masked(by: level.mask)] { return index }
        }
        return nil
    }

    // MARK: - Text helpers

    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer, ignoreCase: Bool) -> Bool
    {
        if needle.count == 0 { return true }
        if needle.count > haystack.count { return false }
        let first = ignoreCase ? SampleText.lower(needle[0]) : needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            let c = ignoreCase ? SampleText.lower(haystack[i]) : haystack[i]
            if c == first && SampleText.equal(haystack, i, needle, 0, count: needle.count, ignoreCase: ignoreCase) {
                return true
            }
            i += 1
        }
        return false
    }

    static let dirDelimiters: [UInt8] = [UInt8(ascii: "/"), UInt8(ascii: "?")]
    static let domDelimiters: [UInt8] = [UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "."), UInt8(ascii: ":")]

    /// Whether `pattern` (stripped of surrounding delimiters) equals a delimiter-bounded part of `raw`.
    static func matchWord(
        _ raw: UnsafeRawBufferPointer, _ pattern: UnsafeRawBufferPointer, ignoreCase: Bool, delimiters: [UInt8]
    ) -> Bool {
        var lo = 0
        var hi = pattern.count
        while lo < hi, delimiters.contains(pattern[lo]) { lo += 1 }
        while hi > lo, delimiters.contains(pattern[hi - 1]) { hi -= 1 }
        let length = hi - lo
        guard length <= raw.count else { return false }
        var mayMatch = true
        var i = 0
        while i < raw.count {
            if delimiters.contains(raw[i]) {
                mayMatch = true
                i += 1
                continue
            }
            if mayMatch {
                if raw.count - i < length { return false }
                if SampleText.equal(raw, i, pattern, lo, count: length, ignoreCase: ignoreCase),
                    i + length == raw.count || delimiters.contains(raw[i + length])
                {
                    return true
                }
                mayMatch = false
            }
            i += 1
        }
        return false
    }
}
