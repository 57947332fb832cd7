import NIOCore
import TidegateConfig

/// A compiled `fetch(args),converter(args),...` expression.
///
/// Compiled once from configuration text; evaluating it only runs the fetch and converter functions.
public struct SampleExpression: Sendable {
    /// One converter of the chain with its compiled arguments.
    struct ConverterCall: Sendable {
        let descriptor: SampleConverterDescriptor
        let arguments: [SampleArgument]

        @inline(__always)
        func apply(_ input: Sample, _ context: SampleContext) -> Sample? {
            guard let cast = input.converted(to: descriptor.inputType) else { return nil }
            return descriptor.convert(cast, arguments, context)
        }
    }

    /// The compiled parts, shared by copies (copying an expression costs one reference count).
    final class Program: Sendable {
        let text: String
        let fetch: SampleFetchDescriptor
        let fetchFunction: SampleFetchDescriptor.Fetch
        let iterateFunction: SampleFetchDescriptor.Iterate?
        let fetchArguments: [SampleArgument]
        let converters: [ConverterCall]
        let outputType: SampleType

        init(
            text: String, fetch: SampleFetchDescriptor, fetchArguments: [SampleArgument],
            converters: [ConverterCall], outputType: SampleType
        ) {
            self.text = text
            self.fetch = fetch
            self.fetchFunction = fetch.fetch
            self.iterateFunction = fetch.iterate
            self.fetchArguments = fetchArguments
            self.converters = converters
            self.outputType = outputType
        }

        @inline(__always)
        func convert(_ input: Sample, _ context: SampleContext) -> Sample? {
            var sample = input
            var index = 0
            while index < converters.count {
                guard let next = converters[index].apply(sample, context) else { return nil }
                sample = next
                index += 1
            }
            return sample
        }
    }

    let program: Program

    /// The expression as written.
    public var text: String { program.text }
    var fetch: SampleFetchDescriptor { program.fetch }
    /// The type of the values the expression produces (`any` when only known at run time).
    public var outputType: SampleType { program.outputType }

    /// The fetch keyword's name.
    public var fetchName: String { fetch.name }
    /// What the fetch needs from the stream.
    public var requirements: SampleRequirements { fetch.requirements }
    /// Whether the fetch can produce several values (iterated by ACLs).
    public var isMultiValued: Bool { program.iterateFunction != nil }

    /// Compiles `text`, which must be a whole expression.
    public init(_ text: String, environment: SampleCompileEnvironment = .standard) throws(SampleCompileError) {
        let bytes = Array(text.utf8)
        var position = 0
        let parsed = try SampleExpression.parse(bytes, from: &position, environment: environment)
        if position != bytes.count {
            throw SampleExpression.trailingGarbage(bytes, at: position, in: text)
        }
        self = parsed
    }

    init(
        text: String, fetch: SampleFetchDescriptor, fetchArguments: [SampleArgument], converters: [ConverterCall],
        outputType: SampleType
    ) {
        program = Program(
            text: text, fetch: fetch, fetchArguments: fetchArguments, converters: converters, outputType: outputType)
    }

    // MARK: - Evaluation

    /// The expression's value with HAProxy's single-value semantics (for a multi-valued fetch such
    /// as `hdr`, the occurrence the keyword documents — usually the last), or nil when the fetch or a
    /// converter has no result.
    public func evaluate(in context: SampleContext) -> Sample? {
        let program = self.program
        guard let sample = program.fetchFunction(context, program.fetchArguments) else { return nil }
        if program.converters.isEmpty { return sample }
        return program.convert(sample, context)
    }

    /// The value cast to `type`.
    public func evaluate(in context: SampleContext, as type: SampleType) -> Sample? {
        evaluate(in: context)?.converted(to: type)
    }

    /// Calls `body` with every value, converters applied, until it returns true (ACL semantics:
    /// every occurrence of a header is tried). Values whose conversion fails are skipped.
    public func forEachValue(in context: SampleContext, _ body: (Sample) -> Bool) {
        let program = self.program
        guard let iterate = program.iterateFunction else {
            if let value = evaluate(in: context) { _ = body(value) }
            return
        }
        if program.converters.isEmpty {
            iterate(context, program.fetchArguments, body)
            return
        }
        iterate(context, program.fetchArguments) { raw in
            guard let sample = program.convert(raw, context) else { return false }
            return body(sample)
        }
    }

    // MARK: - Parsing

    /// Parses an expression starting at `position`, stopping before a byte that cannot continue it
    /// (end of text, `]` in a log format, a space). `keyword` may resolve names that are not fetches
    /// (ACL keywords such as `path_beg`) to the fetch they use.
    static func parse(
        _ bytes: [UInt8], from position: inout Int, environment: SampleCompileEnvironment,
        keyword: ((String) -> SampleFetchDescriptor?)? = nil
    ) throws(SampleCompileError) -> SampleExpression {
        let start = position
        let name = readKeyword(bytes, &position)
        guard !name.isEmpty else {
            throw SampleCompileError(.syntax, "missing fetch method")
        }
        guard let fetch = keyword?(name) ?? environment.fetches.descriptor(named: name) else {
            throw SampleCompileError(.unknownFetch, "unknown fetch method '\(name)'")
        }
        let rawArguments = try readArguments(bytes, &position, what: "fetch method '\(name)'")
        let fetchArguments = try compileArguments(
            rawArguments, what: "fetch method '\(name)'", minimum: fetch.minimumArguments,
            maximum: fetch.maximumArguments, kinds: fetch.argumentKinds, custom: fetch.compileArguments,
            environment: environment)
        var type = fetch.outputType
        var converters: [ConverterCall] = []
        while position < bytes.count, bytes[position] == UInt8(ascii: ",") {
            position += 1
            let convName = readKeyword(bytes, &position)
            guard !convName.isEmpty else {
                throw SampleCompileError(
                    .syntax,
                    "missing converter name after ',' in '\(String(decoding: bytes[start..<position], as: UTF8.self))'")
            }
            guard let converter = environment.converters.descriptor(named: convName) else {
                throw SampleCompileError(.unknownConverter, "unknown converter '\(convName)'")
            }
            let rawConv = try readArguments(bytes, &position, what: "converter '\(convName)'")
            let convArguments = try compileArguments(
                rawConv, what: "converter '\(convName)'", minimum: converter.minimumArguments,
                maximum: converter.maximumArguments, kinds: converter.argumentKinds,
                custom: converter.compileArguments, environment: environment)
            guard type.canCast(to: converter.inputType) else {
                throw SampleCompileError(
                    .incompatibleConverter,
                    "converter '\(convName)' cannot be applied to a sample of type '\(type)' "
                        + "(it expects '\(converter.inputType)')"
                )
            }
            converters.append(ConverterCall(descriptor: converter, arguments: convArguments))
            if !converter.passesInputType { type = converter.outputType }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        return SampleExpression(
            text: text, fetch: fetch, fetchArguments: fetchArguments, converters: converters, outputType: type)
    }

    static func trailingGarbage(_ bytes: [UInt8], at position: Int, in text: String) -> SampleCompileError {
        let rest = String(decoding: bytes[position...], as: UTF8.self)
        return SampleCompileError(.syntax, "unexpected '\(rest)' after sample expression in '\(text)' (missing comma?)")
    }

    /// Reads a keyword: everything up to `(`, `,`, `)`, `]`, a space or the end.
    static func readKeyword(_ bytes: [UInt8], _ position: inout Int) -> String {
        let start = position
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "("), UInt8(ascii: ","), UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: " "),
                UInt8(ascii: "\t"), UInt8(ascii: "["), UInt8(ascii: "}"), UInt8(ascii: "{"):
                return String(decoding: bytes[start..<position], as: UTF8.self)
            default:
                position += 1
            }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// Reads `(a,b,...)` if present: commas separate, `'...'` is literal, `"..."` and bare text take
    /// backslash escapes. Returns nil when there are no parentheses.
    static func readArguments(
        _ bytes: [UInt8], _ position: inout Int, what: String
    ) throws(SampleCompileError) -> [String]? {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "(") else { return nil }
        position += 1
        var arguments: [String] = []
        var current: [UInt8] = []
        var inSingle = false
        var inDouble = false
        var sawSeparator = false
        while position < bytes.count {
            let c = bytes[position]
            if inSingle {
                if c == UInt8(ascii: "'") { inSingle = false } else { current.append(c) }
                position += 1
                continue
            }
            if c == UInt8(ascii: "\\"), position + 1 < bytes.count {
                current.append(bytes[position + 1])
                position += 2
                continue
            }
            if inDouble {
                if c == UInt8(ascii: "\"") { inDouble = false } else { current.append(c) }
                position += 1
                continue
            }
            switch c {
            case UInt8(ascii: "'"): inSingle = true
            case UInt8(ascii: "\""): inDouble = true
            case UInt8(ascii: ","):
                arguments.append(String(decoding: current, as: UTF8.self))
                current.removeAll()
                sawSeparator = true
            case UInt8(ascii: ")"):
                position += 1
                if sawSeparator || !current.isEmpty || !arguments.isEmpty {
                    arguments.append(String(decoding: current, as: UTF8.self))
                }
                return arguments
            default:
                current.append(c)
            }
            position += 1
        }
        throw SampleCompileError(.syntax, "missing closing ')' after arguments to \(what)")
    }

    /// Compiles the argument texts of a fetch or converter (`what` names it in messages, e.g. "fetch method
    /// 'req.hdr'"): the count check, then the descriptor's custom compiler or the generic one. Also used by the
    /// Lua `Fetches`/`Converters` classes.
    public static func compileArguments(
        _ raw: [String]?, what: String, minimum: Int, maximum: Int, kinds: [SampleArgumentKind],
        custom: SampleFetchDescriptor.CompileArguments?, environment: SampleCompileEnvironment
    ) throws(SampleCompileError) -> [SampleArgument] {
        let given = raw ?? []
        if given.count < minimum {
            throw SampleCompileError(
                .missingArgument,
                "\(what) : missing arguments (got \(given.count)/\(minimum))")
        }
        if given.count > maximum {
            throw SampleCompileError(
                .invalidArgument,
                maximum == 0
                    ? "\(what) : no argument supported, but got '\(given.joined(separator: ","))'"
                    : "\(what) : too many arguments (at most \(maximum))")
        }
        if let custom {
            do {
                return try custom(given, environment)
            } catch {
                throw SampleCompileError(error.code, "\(what) : \(error.message)")
            }
        }
        var result: [SampleArgument] = []
        result.reserveCapacity(maximum)
        for (index, text) in given.enumerated() {
            let kind = index < kinds.count ? kinds[index] : .string
            result.append(try compileArgument(text, kind: kind, index: index, what: what))
        }
        while result.count < maximum { result.append(.none) }
        return result
    }

    static func compileArgument(
        _ text: String, kind: SampleArgumentKind, index: Int, what: String
    ) throws(SampleCompileError) -> SampleArgument {
        switch kind {
        case .string:
            return .string(text)
        case .integer:
            if text.isEmpty { return .none }
            guard let value = Int64(text) else {
                throw SampleCompileError(
                    .invalidArgument,
                    "\(what) : failed to parse '\(text)' as type signed integer (argument \(index + 1))")
            }
            return .integer(value)
        case .variable:
            if text.isEmpty { return .none }
            switch VariableName.parse(text) {
            case .success(let name): return .variable(name)
            case .failure(let error): throw SampleCompileError(.invalidArgument, "\(what) : \(error.message)")
            }
        case .regex:
            do {
                return .regex(try CompiledRegex(text))
            } catch {
                throw SampleCompileError(error.code, "\(what) : \(error.message)")
            }
        }
    }
}
