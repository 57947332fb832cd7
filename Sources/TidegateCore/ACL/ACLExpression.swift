import TidegateConfig

/// One compiled ACL test: a sample expression, a match method and patterns. Built from the words
/// of one `acl` line after the name, or from an anonymous ACL in braces.
public struct ACLExpression: Sendable {
    /// The compiled parts, shared by copies.
    final class Storage: Sendable {
        let expression: SampleExpression
        let method: PatternMatchMethod
        /// The patterns of an ACL without `-f` file (they never change).
        let patterns: PatternList
        /// The patterns of an ACL with `-f` files, following the files' run-time changes (`core.add_acl`...).
        let live: LivePatternIndex<PatternSet>?
        let warnings: [String]

        init(
            expression: SampleExpression, method: PatternMatchMethod, patterns: PatternList,
            live: LivePatternIndex<PatternSet>?, warnings: [String]
        ) {
            self.expression = expression
            self.method = method
            self.patterns = patterns
            self.live = live
            self.warnings = warnings
        }

        func matches(in context: SampleContext) -> Bool {
            var matched = false
            switch method {
            case .found:
                expression.forEachValue(in: context) { _ in
                    matched = true
                    return true
                }
            case .bool:
                expression.forEachValue(in: context) { sample in
                    if case .bool(true)? = sample.converted(to: .bool) { matched = true }
                    return matched
                }
            default:
                if let live { return matches(live.current.list, in: context) }
                return matches(patterns, in: context)
            }
            return matched
        }

        private func matches(_ patterns: PatternList, in context: SampleContext) -> Bool {
            if patterns.isEmpty { return false }
            var matched = false
            let type = method.sampleType
            expression.forEachValue(in: context) { sample in
                if sample.type == type {
                    matched = patterns.match(sample) != nil
                } else if let cast = sample.converted(to: type) {
                    matched = patterns.match(cast) != nil
                }
                return matched
            }
            return matched
        }
    }

    /// The patterns compiled from one version of an ACL's files.
    final class PatternSet: Sendable {
        let list: PatternList

        init(_ list: PatternList) { self.list = list }
    }

    let storage: Storage

    /// The sample expression tested.
    public var expression: SampleExpression { storage.expression }
    /// How samples are compared with the patterns.
    public var method: PatternMatchMethod { storage.method }
    /// Non-fatal problems found while compiling (e.g. no pattern given), for the caller to print.
    public var warnings: [String] { storage.warnings }

    /// What the expression needs from the stream.
    public var requirements: SampleRequirements { expression.requirements }

    /// Compiles `<fetch>[,<conv>...] [flags] [operator] [<pattern>...]`.
    public init(words: [String], environment: SampleCompileEnvironment = .standard) throws(SampleCompileError) {
        guard let first = words.first, !first.isEmpty else {
            throw SampleCompileError(.syntax, "missing ACL criterion")
        }
        let bytes = Array(first.utf8)
        var probe = 0
        let keywordName = SampleExpression.readKeyword(bytes, &probe)
        let keyword = ACLKeyword.standard[keywordName]
        var position = 0
        let expression = try SampleExpression.parse(
            bytes, from: &position, environment: environment,
            keyword: { name in
                guard let keyword = ACLKeyword.standard[name] else { return nil }
                return environment.fetches.descriptor(named: keyword.fetchName)
            })
        if position != bytes.count {
            throw SampleExpression.trailingGarbage(bytes, at: position, in: first)
        }

        var method = keyword?.method
        var ignoreCase = false
        var loadAsMap = false
        var files: [(path: String, ignoreCase: Bool, asMap: Bool)] = []
        var explicitEnd = false
        var index = 1
        flags: while index < words.count {
            let word = words[index]
            guard word.hasPrefix("-"), word.count > 1 else { break }
            switch word {
            case "-i":
                ignoreCase = true
            case "-n":
                break
            case "-M":
                loadAsMap = true
            case "-f", "-m", "-u":
                guard index + 1 < words.count else {
                    throw SampleCompileError(.missingArgument, "'\(word)' expects an argument")
                }
                index += 1
                let argument = words[index]
                if word == "-f" {
                    files.append((environment.resolve(path: argument), ignoreCase, loadAsMap))
                } else if word == "-m" {
                    guard let named = PatternMatchMethod(rawValue: argument), named != .meth else {
                        throw SampleCompileError(.invalidArgument, "unknown matching method '\(argument)'")
                    }
                    method = named
                }
            case "--":
                explicitEnd = true
                index += 1
                break flags
            default:
                throw SampleCompileError(
                    .invalidArgument,
                    "'\(word)' is not a valid ACL flag (put '--' before patterns that begin with '-')")
            }
            index += 1
        }

        guard let method = method ?? PatternMatchMethod.defaultMethod(for: expression.outputType) else {
            throw SampleCompileError(
                .invalidArgument,
                "'\(expression.text)' returns a value whose type is only known at run time; "
                    + "choose a matching method with '-m'"
            )
        }
        if method != .found && !expression.outputType.canCast(to: method.sampleType) {
            throw SampleCompileError(
                .invalidArgument,
                "'\(expression.text)' returns type '\(expression.outputType)' "
                    + "which cannot be matched with '-m \(method.rawValue)'"
            )
        }

        var inline: [(text: String, ignoreCase: Bool)] = []
        var operatorWord = "eq"
        for word in words[index...] {
            if method == .int || method == .len, ["eq", "ge", "gt", "le", "lt"].contains(word) {
                operatorWord = word
                continue
            }
            inline.append((try ACLExpression.applyOperator(operatorWord, to: word, method: method), ignoreCase))
        }
        var references: [PatternReference] = []
        for file in files {
            references.append(try environment.files.reference(path: file.path, asMap: file.asMap))
        }
        let fileOptions = zip(references, files).map { (file: $0.file, ignoreCase: $1.ignoreCase) }
        let inlinePatterns = inline
        let patterns: PatternList
        var live: LivePatternIndex<PatternSet>?
        if references.isEmpty {
            patterns = try ACLExpression.compilePatterns(
                method: method, inline: inline, files: [], entries: [], strict: true)
        } else {
            let index = try LivePatternIndex(references: references) { entries, strict throws(SampleCompileError) in
                PatternSet(
                    try ACLExpression.compilePatterns(
                        method: method, inline: inlinePatterns, files: fileOptions, entries: entries, strict: strict))
            }
            patterns = index.initial.list
            live = index
        }

        var warnings: [String] = []
        if patterns.isEmpty && !method.takesNoPattern && !explicitEnd && files.isEmpty {
            warnings.append(
                "no pattern was given for '\(first)', so this test never matches; "
                    + "add '--' if intended, or use '-m found' to test for existence"
            )
        }
        storage = Storage(expression: expression, method: method, patterns: patterns, live: live, warnings: warnings)
    }

    /// The patterns of the ACL's words, then those of its files' `entries` (in `files` order). A file entry that
    /// does not compile throws when `strict`, and is skipped otherwise.
    private static func compilePatterns(
        method: PatternMatchMethod, inline: [(text: String, ignoreCase: Bool)],
        files: [(file: MapFile, ignoreCase: Bool)], entries: [[MapFile.Entry]], strict: Bool
    ) throws(SampleCompileError) -> PatternList {
        var patterns = PatternList(method: method)
        var count = 0
        for pattern in inline {
            try patterns.add(pattern.text, ignoreCase: pattern.ignoreCase, index: count)
            count += 1
        }
        for (file, fileEntries) in zip(files, entries) {
            for entry in fileEntries {
                do {
                    try patterns.add(entry.key, ignoreCase: file.ignoreCase, index: count)
                } catch {
                    guard strict else { continue }
                    throw SampleCompileError(error.code, "\(file.file.path):\(entry.line): \(error.message)")
                }
                count += 1
            }
        }
        return patterns
    }

    /// Rewrites an integer pattern under `eq ge gt le lt` into a range.
    static func applyOperator(_ op: String, to text: String, method: PatternMatchMethod) throws(SampleCompileError)
        -> String
    {
        guard method == .int || method == .len, op != "eq", !text.contains(":"), !text.contains("-") else {
            return text
        }
        guard let value = Int64(text) else {
            throw SampleCompileError(.invalidPattern, "'\(text)' is not a number")
        }
        switch op {
        case "gt": return "\(value + 1):"
        case "ge": return "\(value):"
        case "lt": return ":\(value - 1)"
        default: return ":\(value)"
        }
    }

    /// Whether one of the expression's values matches one of the patterns.
    @inline(__always)
    public func matches(in context: SampleContext) -> Bool {
        storage.matches(in: context)
    }
}
