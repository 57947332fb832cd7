import NIOCore

/// A compiled log-format string: literal text, `%<var>` variables, `%[expr]` sample expressions
/// and `%{+Q,-X,...}` flags, rendered per stream into a byte buffer.
public struct LogFormat: Sendable {
    /// Per-node rendering flags (`+Q` quote, `+X` hexadecimal, `+E` RFC 5424 escaping, `+M` `-` for
    /// empty values).
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let mandatory = Flags(rawValue: 1 << 0)
        public static let quote = Flags(rawValue: 1 << 1)
        public static let hex = Flags(rawValue: 1 << 2)
        public static let escape = Flags(rawValue: 1 << 3)
        /// Percent-encode control bytes of expression output (header values).
        public static let httpEncode = Flags(rawValue: 1 << 4)
    }

    /// How the string is interpreted.
    public struct Options: Sendable, Hashable {
        /// Spaces separate fields and runs of them print as one space (`log-format`).
        public var mergeSpaces: Bool
        /// Flags every node starts with.
        public var defaultFlags: Flags
        /// Whether HTTP-only variables are allowed (the proxy is in HTTP mode).
        public var httpMode: Bool

        public init(mergeSpaces: Bool, defaultFlags: Flags, httpMode: Bool = true) {
            self.mergeSpaces = mergeSpaces
            self.defaultFlags = defaultFlags
            self.httpMode = httpMode
        }

        /// `log-format` lines.
        public static let logFormat = Options(mergeSpaces: true, defaultFlags: .mandatory)
        /// `log-format` of a TCP-mode proxy.
        public static let tcpLogFormat = Options(mergeSpaces: true, defaultFlags: .mandatory, httpMode: false)
        /// Header values and other strings built by rules (`http-request set-header X %[...]`,
        /// `unique-id-format`): spaces kept, missing values empty, control bytes percent-encoded.
        public static let httpValue = Options(mergeSpaces: false, defaultFlags: .httpEncode)
        /// Plain strings (`set-var-fmt`): spaces kept, missing values empty.
        public static let plain = Options(mergeSpaces: false, defaultFlags: [])
    }

    /// One element of the format. Plain data: literal bytes live in `literals`, expressions in
    /// `expressions`, so walking the nodes while rendering costs no reference counting.
    enum Node: Sendable {
        case separator
        case text(offset: Int32, length: Int32)
        case expression(index: Int32, Flags)
        case variable(LogFormatVariable, Flags)
    }

    /// The format string as written.
    public let text: String
    let nodes: [Node]
    let literals: [UInt8]
    let expressions: [SampleExpression]
    /// The zone for local dates.
    public var timeZone: LogTimeZone = .local

    /// Whether the format produces nothing (empty string).
    public var isEmpty: Bool { nodes.isEmpty }

    /// What the sample expressions need from the stream.
    public var requirements: SampleRequirements {
        expressions.reduce(into: []) { $0.formUnion($1.requirements) }
    }

    /// The variables used.
    public var variables: [LogFormatVariable] {
        nodes.compactMap {
            if case .variable(let variable, _) = $0 { return variable }
            return nil
        }
    }

    /// Compiles `text`.
    public init(
        _ text: String, options: Options = .logFormat, environment: SampleCompileEnvironment = .standard
    ) throws(SampleCompileError) {
        self.text = text
        (nodes, literals, expressions) = try LogFormat.parse(
            Array(text.utf8), options: options, environment: environment)
    }

    static func parse(
        _ bytes: [UInt8], options: Options, environment: SampleCompileEnvironment
    ) throws(SampleCompileError) -> ([Node], [UInt8], [SampleExpression]) {
        var nodes: [Node] = []
        var literals: [UInt8] = []
        var expressions: [SampleExpression] = []
        var literal: [UInt8] = []
        var flags = options.defaultFlags
        func flush() {
            if !literal.isEmpty {
                nodes.append(.text(offset: Int32(literals.count), length: Int32(literal.count)))
                literals.append(contentsOf: literal)
                literal.removeAll()
            }
        }
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: " ") && options.mergeSpaces {
                flush()
                if case .separator? = nodes.last {} else { nodes.append(.separator) }
                i += 1
                continue
            }
            guard c == UInt8(ascii: "%") else {
                literal.append(c)
                i += 1
                continue
            }
            var j = i + 1
            guard j < bytes.count else {
                throw SampleCompileError(.invalidFormat, "truncated line after '%'")
            }
            if bytes[j] == UInt8(ascii: "%") {
                literal.append(UInt8(ascii: "%"))
                i = j + 1
                continue
            }
            var nodeFlags = flags
            var hasArguments = false
            var argumentText = ""
            if bytes[j] == UInt8(ascii: "{") {
                guard let close = bytes[(j + 1)...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw SampleCompileError(
                        .invalidFormat, "truncated line after '%{\(String(decoding: bytes[(j + 1)...], as: UTF8.self))'"
                    )
                }
                argumentText = String(decoding: bytes[(j + 1)..<close], as: UTF8.self)
                nodeFlags = applyFlags(argumentText, to: nodeFlags)
                hasArguments = true
                j = close + 1
                guard j < bytes.count, bytes[j] == UInt8(ascii: "[") || isAlphanumeric(bytes[j]) else {
                    throw SampleCompileError(
                        .invalidFormat, "flags '%{\(argumentText)}' are not followed by a variable name")
                }
            }
            if bytes[j] == UInt8(ascii: "[") {
                var position = j + 1
                let expression = try SampleExpression.parse(bytes, from: &position, environment: environment)
                guard position < bytes.count, bytes[position] == UInt8(ascii: "]") else {
                    let parsed = String(decoding: bytes[(j + 1)..<position], as: UTF8.self)
                    if position < bytes.count {
                        throw SampleCompileError(
                            .invalidFormat,
                            "expected ']' after '\(parsed)', but found '\(String(UnicodeScalar(bytes[position])))'")
                    }
                    throw SampleCompileError(.invalidFormat, "missing ']' after '\(parsed)'")
                }
                flush()
                nodes.append(.expression(index: Int32(expressions.count), nodeFlags))
                expressions.append(expression)
                i = position + 1
                continue
            }
            if isAlpha(bytes[j]) || (hasArguments && isAlphanumeric(bytes[j])) {
                var end = j
                while end < bytes.count, isAlphanumeric(bytes[end]) { end += 1 }
                let name = String(decoding: bytes[j..<end], as: UTF8.self)
                guard let variable = LogFormatVariable(rawValue: name) else {
                    throw SampleCompileError(
                        .invalidFormat, "unknown log-format variable '\(name)' (write '%%' for a literal '%')")
                }
                if variable.requiresHTTP && !options.httpMode {
                    throw SampleCompileError(
                        .invalidFormat, "log-format variable '\(name)' is only available in HTTP mode")
                }
                if variable == .globalOptions {
                    flags = nodeFlags
                } else {
                    flush()
                    nodes.append(.variable(variable, nodeFlags))
                }
                i = end
                continue
            }
            if (bytes[j] >= 0x30 && bytes[j] <= 0x39) || bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t")
            {
                throw SampleCompileError(
                    .invalidFormat,
                    "unexpected '\(String(UnicodeScalar(bytes[j])))' after '%' at position \(i); "
                        + "write '%%' for a literal '%'"
                )
            }
            // Any other character after '%' is kept as literal text, the '%' itself is dropped.
            i = j
        }
        flush()
        return (nodes, literals, expressions)
    }

    static func applyFlags(_ text: String, to flags: Flags) -> Flags {
        var result = flags
        for item in text.split(separator: ",") {
            guard let sign = item.first, sign == "+" || sign == "-" else { continue }
            let flag: Flags
            switch item.dropFirst() {
            case "M": flag = .mandatory
            case "Q": flag = .quote
            case "X": flag = .hex
            case "E": flag = .escape
            default: continue
            }
            if sign == "+" { result.insert(flag) } else { result.remove(flag) }
        }
        return result
    }

    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a }
    @inline(__always) static func isAlphanumeric(_ c: UInt8) -> Bool { isAlpha(c) || (c >= 0x30 && c <= 0x39) }
}
