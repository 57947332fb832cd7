#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - Network address (core.parse_addr / core.match_addr)

/// A network parsed by `core.parse_addr`: an IPv4 or IPv6 address with its mask (HAProxy's `struct net_addr`).
public final class LuaNetworkAddress: Sendable {
    public enum Family: Sendable { case ipv4, ipv6 }

    public let family: Family
    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public let address: [UInt8]
    public let mask: [UInt8]

    init(family: Family, address: [UInt8], mask: [UInt8]) {
        self.family = family
        self.address = address
        self.mask = mask
    }

    /// HAProxy's `str2net` (IPv4 "a.b.c.d", "a.b.c.d/len" or "a.b.c.d/m.m.m.m"; no DNS) then `str62net`
    /// (IPv6 "addr" or "addr/len"). Missing mask = host (/32, /128).
    public static func parse(_ text: [UInt8]) -> LuaNetworkAddress? {
        // C string semantics: the text ends at the first NUL.
        let text = Array(text.prefix { $0 != 0 })
        let slash = text.firstIndex(of: UInt8(ascii: "/"))
        let host = String(decoding: slash.map { text[..<$0] } ?? text[...], as: UTF8.self)
        let maskText = slash.map { String(decoding: text[($0 + 1)...], as: UTF8.self) }

        if let address = self.pton(AF_INET, host, count: 4) {
            let mask: [UInt8]
            if let maskText {
                if maskText.contains(".") {
                    guard let dotted = self.pton(AF_INET, maskText, count: 4) else { return nil }
                    mask = dotted
                } else {
                    guard let length = self.prefixLength(maskText, maximum: 32) else { return nil }
                    mask = self.mask(length: length, count: 4)
                }
            } else {
                mask = self.mask(length: 32, count: 4)
            }
            return LuaNetworkAddress(family: .ipv4, address: address, mask: mask)
        }
        if let address = self.pton(AF_INET6, host, count: 16) {
            var length = 128
            if let maskText {
                guard let parsed = self.prefixLength(maskText, maximum: 128) else { return nil }
                length = parsed
            }
            return LuaNetworkAddress(family: .ipv6, address: address, mask: self.mask(length: length, count: 16))
        }
        return nil
    }

    /// HAProxy's `match_addr`: same family and `(a & maskB) == (b & maskA)` on every byte.
    public func matches(_ other: LuaNetworkAddress) -> Bool {
        guard self.family == other.family else { return false }
        return self.address.indices.allSatisfy { index in
            (self.address[index] & other.mask[index]) == (other.address[index] & self.mask[index])
        }
    }

    private static func pton(_ family: Int32, _ text: String, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
        return status == 1 ? bytes : nil
    }

    private static func prefixLength(_ text: String, maximum: Int) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(text), value <= maximum
        else { return nil }
        return value
    }

    private static func mask(length: Int, count: Int) -> [UInt8] {
        (0..<count).map { index in
            let bits = min(max(length - index * 8, 0), 8)
            return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }
}

// MARK: - Concat (core.concat)

/// The buffer of a `Concat` object.
public final class LuaConcatBuffer {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    func append(_ more: [UInt8]) {
        self.bytes.append(contentsOf: more)
    }
}

// MARK: - Regex (global Regex)

/// A POSIX extended regular expression (`regcomp` with `REG_EXTENDED`, as HAProxy builds without PCRE).
public final class LuaRegex: @unchecked Sendable {
    /// At most this many captures (whole match included) are returned by `match`, as in HAProxy.
    static let maximumCaptures = 20
    /// HAProxy copies the subject into a trash buffer of `tune.bufsize` bytes; longer subjects never match.
    static let maximumSubjectLength = 16_384

    private let compiled: UnsafeMutablePointer<regex_t>

    /// nil if the pattern does not compile. `caseSensitive` false adds `REG_ICASE`.
    public init?(pattern: [UInt8], caseSensitive: Bool) {
        let compiled = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        var flags = REG_EXTENDED
        if !caseSensitive {
            flags |= REG_ICASE
        }
        let cPattern = pattern.prefix { $0 != 0 }.map { CChar(bitPattern: $0) } + [0]
        guard regcomp(compiled, cPattern, Int32(flags)) == 0 else {
            compiled.deallocate()
            return nil
        }
        self.compiled = compiled
    }

    deinit {
        regfree(self.compiled)
        self.compiled.deallocate()
    }

    /// Whether the pattern matches somewhere in `subject` (which ends at its first NUL, as a C string).
    public func exec(_ subject: [UInt8]) -> Bool {
        guard subject.count < Self.maximumSubjectLength else { return false }
        let cSubject = subject.map { CChar(bitPattern: $0) } + [0]
        return regexec(self.compiled, cSubject, 0, nil, 0) == 0
    }

    /// The whole match then each group, stopping at the first group that did not participate (HAProxy's loop);
    /// nil when it does not match.
    public func match(_ subject: [UInt8]) -> [[UInt8]]? {
        guard subject.count < Self.maximumSubjectLength else { return nil }
        let cSubject = subject.map { CChar(bitPattern: $0) } + [0]
        var matches = [regmatch_t](repeating: regmatch_t(), count: Self.maximumCaptures)
        guard regexec(self.compiled, cSubject, matches.count, &matches, 0) == 0 else { return nil }
        var captures: [[UInt8]] = []
        for match in matches {
            guard match.rm_so != -1 else { break }
            captures.append(Array(subject[Int(match.rm_so)..<Int(match.rm_eo)]))
        }
        return captures
    }
}
