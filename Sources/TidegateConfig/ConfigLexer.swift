/// Splits configuration text into lines and lines into words, following HAProxy's rules.
///
/// - Words are separated by spaces and tabs; `#` outside quotes starts a comment.
/// - A backslash escapes the next character outside single quotes: `\ `, `\#`, `\\`, `\"`, `\'`, `\$`,
///   `\t`, `\n`, `\r` and `\xHH`. Any other escaped character is kept with its backslash, so regular
///   expressions such as `\d` or `\.` survive unquoted.
/// - Double quotes group words and expand `$VAR`, `${VAR}`, `${VAR-default}` and `${VAR[*]}` (the value
///   split on spaces into several words). Single quotes group words literally.
/// - Quoted parts may touch other text: `foo"bar baz"` is the single word `foobar baz`.
/// - An undefined variable expands to the empty string. A word made only of variables that all
///   expanded to nothing is dropped, so that `server s1 1.2.3.4:80 "$EXTRA" weight 2` still works
///   when `EXTRA` is unset; an explicit `""` stays an empty word.
/// - Lines may end in CRLF; empty and comment-only lines produce no directive.
public struct ConfigLexer: Sendable {
    /// HAProxy refuses lines with more words than this.
    public static let maximumWords = 64

    /// The variables `$VAR` expands against.
    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Lexes a whole file. Lines that fail to lex are reported and skipped.
    public func directives(in text: String, file: String) -> (
        directives: [ConfigDirective], diagnostics: [ConfigDiagnostic]
    ) {
        var directives: [ConfigDirective] = []
        var diagnostics: [ConfigDiagnostic] = []
        let bytes = Array(text.utf8)
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let location = ConfigLocation(file: file, line: lineNumber)
            do {
                let words = try self.words(in: bytes[start..<lineEnd], location: location)
                if !words.isEmpty {
                    directives.append(ConfigDirective(words: words, location: location))
                }
            } catch {
                diagnostics.append(error)
            }
            if end == bytes.count { break }
            start = end + 1
        }
        return (directives, diagnostics)
    }

    /// Lexes one line (without its line terminator).
    public func words(in line: String, location: ConfigLocation) throws(ConfigDiagnostic) -> [String] {
        let bytes = Array(line.utf8)
        return try words(in: bytes[...], location: location)
    }

    private enum Quote { case none, single, double }

    private struct WordBuilder {
        var words: [String] = []
        var current: [UInt8] = []
        var started = false
        var hasLiteral = false
        var hasVariable = false

        mutating func literal(_ byte: UInt8) {
            current.append(byte)
            started = true
            hasLiteral = true
        }

        mutating func finish() {
            defer {
                current.removeAll(keepingCapacity: true)
                started = false
                hasLiteral = false
                hasVariable = false
            }
            guard started else { return }
            if current.isEmpty && hasVariable && !hasLiteral { return }
            words.append(String(decoding: current, as: UTF8.self))
        }
    }

    func words(in bytes: ArraySlice<UInt8>, location: ConfigLocation) throws(ConfigDiagnostic) -> [String] {
        var builder = WordBuilder()
        var quote = Quote.none
        var quoteStart = 0
        var index = bytes.startIndex
        let end = bytes.endIndex
        while index < end {
            let byte = bytes[index]
            if quote == .single {
                if byte == UInt8(ascii: "'") {
                    quote = .none
                } else {
                    builder.literal(byte)
                }
                index += 1
                continue
            }
            if quote == .none {
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"):
                    builder.finish()
                    index += 1
                    continue
                case UInt8(ascii: "#"):
                    index = end
                    continue
                case UInt8(ascii: "'"):
                    quote = .single
                    quoteStart = index
                    builder.started = true
                    builder.hasLiteral = true
                    index += 1
                    continue
                case UInt8(ascii: "\""):
                    quote = .double
                    quoteStart = index
                    builder.started = true
                    index += 1
                    continue
                default:
                    break
                }
            } else if byte == UInt8(ascii: "\"") {
                quote = .none
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\\") {
                index = try escape(bytes, at: index, into: &builder, location: location)
                continue
            }
            if byte == UInt8(ascii: "$") && quote == .double {
                index = try expandVariable(bytes, at: index, into: &builder, location: location)
                continue
            }
            builder.literal(byte)
            index += 1
        }
        if quote != .none {
            let kind = quote == .double ? "double" : "single"
            let column = quoteStart - bytes.startIndex + 1
            throw .alert("unmatched \(kind) quote at position \(column).", at: location)
        }
        builder.finish()
        if builder.words.count > Self.maximumWords {
            throw .alert(
                "too many words on one line (\(builder.words.count), at most \(Self.maximumWords) are allowed).",
                at: location
            )
        }
        return builder.words
    }

    /// Handles a backslash at `index`, returns the index after the sequence.
    private func escape(
        _ bytes: ArraySlice<UInt8>,
        at index: Int,
        into builder: inout WordBuilder,
        location: ConfigLocation
    ) throws(ConfigDiagnostic) -> Int {
        let next = index + 1
        guard next < bytes.endIndex else {
            builder.literal(UInt8(ascii: "\\"))
            return next
        }
        switch bytes[next] {
        case UInt8(ascii: " "), UInt8(ascii: "#"), UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""),
            UInt8(ascii: "$"):
            builder.literal(bytes[next])
        case UInt8(ascii: "t"):
            builder.literal(0x09)
        case UInt8(ascii: "n"):
            builder.literal(0x0A)
        case UInt8(ascii: "r"):
            builder.literal(0x0D)
        case UInt8(ascii: "x"):
            guard next + 2 < bytes.endIndex,
                let high = Self.hexValue(bytes[next + 1]),
                let low = Self.hexValue(bytes[next + 2])
            else {
                throw .alert(
                    "truncated or invalid hexadecimal sequence at position \(index - bytes.startIndex + 1).",
                    at: location
                )
            }
            builder.literal(high << 4 | low)
            return next + 3
        default:
            builder.literal(UInt8(ascii: "\\"))
            builder.literal(bytes[next])
        }
        return next + 1
    }

    /// Expands `$NAME`, `${NAME}`, `${NAME-default}` or `${NAME[*]}` at `index` (inside double quotes).
    private func expandVariable(
        _ bytes: ArraySlice<UInt8>,
        at index: Int,
        into builder: inout WordBuilder,
        location: ConfigLocation
    ) throws(ConfigDiagnostic) -> Int {
        var cursor = index + 1
        guard cursor < bytes.endIndex else {
            builder.literal(UInt8(ascii: "$"))
            return cursor
        }
        if bytes[cursor] == UInt8(ascii: "{") {
            cursor += 1
            guard let close = bytes[cursor...].firstIndex(of: UInt8(ascii: "}")) else {
                throw .alert(
                    "unterminated '${' in environment variable reference at position \(index - bytes.startIndex + 1).",
                    at: location
                )
            }
            let nameStart = cursor
            while cursor < close && Self.isNameByte(bytes[cursor], first: cursor == nameStart) { cursor += 1 }
            let name = String(decoding: bytes[nameStart..<cursor], as: UTF8.self)
            var splitList = false
            var defaultValue: String?
            if close - cursor >= 3 && Array(bytes[cursor..<cursor + 3]) == Array("[*]".utf8) {
                splitList = true
                cursor += 3
            }
            if cursor < close && bytes[cursor] == UInt8(ascii: "-") {
                defaultValue = String(decoding: bytes[(cursor + 1)..<close], as: UTF8.self)
                cursor = close
            }
            guard !name.isEmpty, cursor == close else {
                let text = String(decoding: bytes[index...close], as: UTF8.self)
                throw .alert("invalid environment variable reference '\(text)'.", at: location)
            }
            let value = environment[name] ?? defaultValue ?? ""
            builder.started = true
            builder.hasVariable = true
            if splitList {
                let parts = value.split(separator: " ", omittingEmptySubsequences: true)
                for (position, part) in parts.enumerated() {
                    if position > 0 {
                        builder.finish()
                        builder.started = true
                        builder.hasVariable = true
                    }
                    builder.current.append(contentsOf: part.utf8)
                }
            } else {
                builder.current.append(contentsOf: value.utf8)
            }
            return close + 1
        }
        guard Self.isNameByte(bytes[cursor], first: true) else {
            builder.literal(UInt8(ascii: "$"))
            return cursor
        }
        let nameStart = cursor
        while cursor < bytes.endIndex && Self.isNameByte(bytes[cursor], first: false) { cursor += 1 }
        let name = String(decoding: bytes[nameStart..<cursor], as: UTF8.self)
        builder.started = true
        builder.hasVariable = true
        builder.current.append(contentsOf: (environment[name] ?? "").utf8)
        return cursor
    }

    private static func isNameByte(_ byte: UInt8, first: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
            return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return !first
        default:
            return false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
