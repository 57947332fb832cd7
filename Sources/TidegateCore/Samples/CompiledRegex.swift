import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A regular expression compiled once at configuration time and matched against bytes.
///
/// Patterns that POSIX extended syntax reads the same way as PCRE run on the C library's
/// `regexec` directly over the bytes (several times faster than Swift's `Regex`); patterns using
/// PCRE-only syntax (`\d`, `(?:`, lazy quantifiers, escapes in brackets) run on Swift's `Regex`.
public final class CompiledRegex: @unchecked Sendable {
    /// The pattern as written.
    public let pattern: String
    /// Whether matching ignores ASCII case (`-i`, the `i` flag).
    public let ignoresCase: Bool
    private let posix: UnsafeMutablePointer<regex_t>?
    private let swiftRegex: Regex<AnyRegexOutput>?

    /// Compiles `pattern`; throws with the engine's message when it is invalid.
    public init(_ pattern: String, ignoresCase: Bool = false) throws(SampleCompileError) {
        self.pattern = pattern
        self.ignoresCase = ignoresCase
        if CompiledRegex.isPortableToPOSIX(pattern) {
            let compiled = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
            let flags = REG_EXTENDED | (ignoresCase ? REG_ICASE : 0)
            let status = regcomp(compiled, pattern, flags)
            if status == 0 {
                posix = compiled
                swiftRegex = nil
                return
            }
            compiled.deallocate()
        }
        do {
            var regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
            if ignoresCase { regex = regex.ignoresCase() }
            swiftRegex = regex
            posix = nil
        } catch {
            throw SampleCompileError(.invalidArgument, "invalid regex '\(pattern)': \(error)")
        }
    }

    deinit {
        if let posix {
            regfree(posix)
            posix.deallocate()
        }
    }

    /// Whether the pattern matches somewhere in `buffer`'s readable bytes.
    public func matches(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { matches($0) }
    }

    /// Whether the pattern matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
    }

    /// Whether the pattern matches somewhere in `raw`.
    public func matches(_ raw: UnsafeRawBufferPointer) -> Bool {
        if let posix {
            return withBase(raw) { base in
                var range = regmatch_t()
                range.rm_so = 0
                range.rm_eo = regoff_t(raw.count)
                return regexec(posix, base, 1, &range, REG_STARTEND) == 0
            }
        }
        let text = String(decoding: raw, as: UTF8.self)
        return text.contains(swiftRegex!)
    }

    /// Replaces the first match (every match with `global`) in `input` by `template`, HAProxy's
    /// `regsub`: `\1`…`\9` insert groups, `\xHH` a byte, `\\` a backslash.
    func substitute(_ input: ByteBuffer, template: RegexTemplate, global: Bool) -> ByteBuffer {
        if let posix {
            return input.withUnsafeReadableBytes { raw in substitutePOSIX(posix, raw, template, global) }
        }
        return substituteSwift(String(buffer: input), template, global)
    }

    /// HAProxy's `replace-header`/`replace-value`: when the pattern matches `input`, the whole value
    /// becomes `template` with its group references filled in; otherwise `input` is returned.
    func substituteWhole(_ input: ByteBuffer, template: RegexTemplate) -> ByteBuffer {
        if let posix {
            return input.withUnsafeReadableBytes { raw -> ByteBuffer in
                withBase(raw) { base -> ByteBuffer in
                    var groups = [regmatch_t](repeating: regmatch_t(), count: 10)
                    groups[0].rm_so = 0
                    groups[0].rm_eo = regoff_t(raw.count)
                    guard regexec(posix, base, 10, &groups, REG_STARTEND) == 0 else { return input }
                    var out = ByteBuffer()
                    template.write(to: &out) { (index: Int) -> UnsafeRawBufferPointer? in
                        let g = groups[index]
                        guard g.rm_so >= 0, g.rm_eo >= g.rm_so else { return nil }
                        return UnsafeRawBufferPointer(rebasing: raw[Int(g.rm_so)..<Int(g.rm_eo)])
                    }
                    return out
                }
            }
        }
        let text = String(buffer: input)
        guard let match = try? swiftRegex!.firstMatch(in: text) else { return input }
        var out = ByteBuffer()
        let output = match.output
        template.write(to: &out) { (index: Int) -> [UInt8]? in
            guard index < output.count, let range = output[index].range else { return nil }
            return Array(text[range].utf8)
        }
        return out
    }

    /// `replace-header`/`replace-value` on one value with a template text (`\1`…`\9`, `\xHH`, `\\`): the whole
    /// value when the pattern matches, else `input` unchanged (used by Lua's `req_rep_header`).
    public func replacingWholeValue(_ input: ByteBuffer, template: String) -> ByteBuffer {
        substituteWhole(input, template: RegexTemplate(template))
    }

    private func withBase<R>(_ raw: UnsafeRawBufferPointer, _ body: (UnsafePointer<CChar>) -> R) -> R {
        if let base = raw.baseAddress {
            return body(base.assumingMemoryBound(to: CChar.self))
        }
        return body(CompiledRegex.emptyString)
    }

    nonisolated(unsafe) private static let emptyString: UnsafePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    private func substitutePOSIX(
        _ regex: UnsafeMutablePointer<regex_t>, _ raw: UnsafeRawBufferPointer, _ template: RegexTemplate, _ global: Bool
    ) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(raw.count + 16)
        var start = 0
        let end = raw.count
        var flags = REG_STARTEND
        withBase(raw) { base in
            var groups = [regmatch_t](repeating: regmatch_t(), count: 10)
            while start <= end {
                groups[0].rm_so = regoff_t(start)
                groups[0].rm_eo = regoff_t(end)
                guard regexec(regex, base, 10, &groups, flags) == 0 else { break }
                flags |= REG_NOTBOL
                let matchStart = Int(groups[0].rm_so)
                let matchEnd = Int(groups[0].rm_eo)
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[start..<matchStart]))
                template.write(to: &out) { (index: Int) -> UnsafeRawBufferPointer? in
                    let g = groups[index]
                    guard g.rm_so >= 0, g.rm_eo >= g.rm_so else { return nil }
                    return UnsafeRawBufferPointer(rebasing: raw[Int(g.rm_so)..<Int(g.rm_eo)])
                }
                start = matchEnd
                if !global || start >= end { break }
                if matchEnd == matchStart {
                    // An empty match sits before a character: copy it and move on.
                    out.writeInteger(raw[start])
                    start += 1
                }
            }
        }
        if start < end { out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[start..<end])) }
        return out
    }

    private func substituteSwift(_ text: String, _ template: RegexTemplate, _ global: Bool) -> ByteBuffer {
        var out = ByteBuffer()
        let scalars = text.unicodeScalars
        var position = text.startIndex
        while position <= text.endIndex {
            guard let match = try? swiftRegex!.firstMatch(in: text[position...]) else { break }
            out.writeString(String(text[position..<match.range.lowerBound]))
            let output = match.output
            template.write(to: &out) { (index: Int) -> [UInt8]? in
                guard index < output.count, let range = output[index].range else { return nil }
                return Array(text[range].utf8)
            }
            position = match.range.upperBound
            if !global || position >= text.endIndex { break }
            if match.range.isEmpty {
                let next = scalars.index(after: position)
                out.writeString(String(text[position..<next]))
                position = next
            }
        }
        if position < text.endIndex { out.writeString(String(text[position...])) }
        return out
    }

    /// Whether POSIX extended syntax reads `pattern` exactly as PCRE does.
    static func isPortableToPOSIX(_ pattern: String) -> Bool {
        let bytes = Array(pattern.utf8)
        var inBracket = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if inBracket {
                if c == UInt8(ascii: "\\") { return false }
                if c == UInt8(ascii: "[") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: ":") {
                    // POSIX class such as [:alpha:]; PCRE reads it the same way.
                    if let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "]")) {
                        i = close + 1
                        continue
                    }
                }
                if c == UInt8(ascii: "]") { inBracket = false }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\\"):
                guard i + 1 < bytes.count else { return false }
                let next = bytes[i + 1]
                let isAlnum = (next >= 0x30 && next <= 0x39) || (next | 0x20 >= 0x61 && next | 0x20 <= 0x7a)
                if isAlnum || next >= 0x80 { return false }
                i += 2
                continue
            case UInt8(ascii: "["):
                inBracket = true
                i += 1
                if i < bytes.count && bytes[i] == UInt8(ascii: "^") { i += 1 }
                if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1 }
                continue
            case UInt8(ascii: "("):
                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "?") { return false }
                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: ")") { return false }
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "}"):
                if i + 1 < bytes.count && (bytes[i + 1] == UInt8(ascii: "?") || bytes[i + 1] == UInt8(ascii: "+")) {
                    return false
                }
            case UInt8(ascii: "{"):
                // PCRE reads a brace that does not start a valid quantifier literally.
                var j = i + 1
                var sawDigit = false
                while j < bytes.count && ((bytes[j] >= 0x30 && bytes[j] <= 0x39) || bytes[j] == UInt8(ascii: ",")) {
                    if bytes[j] != UInt8(ascii: ",") { sawDigit = true }
                    j += 1
                }
                if !sawDigit || j >= bytes.count || bytes[j] != UInt8(ascii: "}") || i == 0 { return false }
            default:
                break
            }
            i += 1
        }
        return !inBracket
    }
}

/// A parsed `regsub` substitution: literal bytes and group references.
struct RegexTemplate: Sendable {
    enum Part: Sendable {
        case literal([UInt8])
        case group(Int)
    }

    var parts: [Part]

    init(_ text: String) {
        var parts: [Part] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\"), i + 1 < bytes.count {
                let next = bytes[i + 1]
                if next >= 0x30 && next <= 0x39 {
                    if !literal.isEmpty {
                        parts.append(.literal(literal))
                        literal = []
                    }
                    parts.append(.group(Int(next - 0x30)))
                    i += 2
                    continue
                }
                if next == UInt8(ascii: "x"), i + 3 < bytes.count,
                    let hi = SampleText.hexValue(bytes[i + 2]), let lo = SampleText.hexValue(bytes[i + 3])
                {
                    literal.append(hi << 4 | lo)
                    i += 4
                    continue
                }
                literal.append(next)
                i += 2
                continue
            }
            literal.append(c)
            i += 1
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    func write<G>(to out: inout ByteBuffer, group: (Int) -> G?) where G: Sequence<UInt8> {
        for part in parts {
            switch part {
            case .literal(let bytes): out.writeBytes(bytes)
            case .group(let index):
                if let bytes = group(index) { out.writeBytes(bytes) }
            }
        }
    }
}
