/// A map file indexed for one match method, with its values parsed to the output type: what the
/// `map_*` converters (and Lua's `Map` class) look keys up in. Follows the changes made to the file's
/// `PatternReference` at run time (`core.set_map`...).
public final class MapMatcher: Sendable {
    /// The entries, with their changes.
    public let reference: PatternReference
    /// How keys are compared.
    public let method: PatternMatchMethod
    /// The type of the values.
    public let outputType: SampleType
    private let index: LivePatternIndex<Entries>

    /// The patterns and values compiled from one version of the entries.
    final class Entries: Sendable {
        let patterns: PatternList
        let values: [Sample]

        init(patterns: PatternList, values: [Sample]) {
            self.patterns = patterns
            self.values = values
        }
    }

    /// The file the entries come from, as loaded.
    public var file: MapFile { reference.file }

    /// Indexes the reference's keys for `method` and parses its values as `output` (`str`, `sint` or `addr`).
    public init(reference: PatternReference, method: PatternMatchMethod, output: SampleType)
        throws(SampleCompileError)
    {
        self.reference = reference
        self.method = method
        self.outputType = output
        let path = reference.path
        self.index = try LivePatternIndex(references: [reference]) { entries, strict throws(SampleCompileError) in
            try MapMatcher.compile(entries[0], method: method, output: output, path: path, strict: strict)
        }
    }

    /// Compiles entries; an entry whose key or value does not parse throws when `strict`, else is skipped.
    private static func compile(
        _ entries: [MapFile.Entry], method: PatternMatchMethod, output: SampleType, path: String, strict: Bool
    ) throws(SampleCompileError) -> Entries {
        var patterns = PatternList(method: method)
        var values: [Sample] = []
        values.reserveCapacity(entries.count)
        for entry in entries {
            do throws(SampleCompileError) {
                let value = try MapMatcher.parseValue(entry.value, as: output, file: path, line: entry.line)
                do {
                    try patterns.add(entry.key, ignoreCase: false, index: values.count)
                } catch {
                    throw SampleCompileError(error.code, "\(path):\(entry.line): \(error.message)")
                }
                values.append(value)
            } catch {
                if strict { throw error }
            }
        }
        return Entries(patterns: patterns, values: values)
    }

    static func parseValue(_ text: String, as output: SampleType, file: String, line: Int) throws(SampleCompileError)
        -> Sample
    {
        switch output {
        case .sint:
            guard let value = Int64(text) else {
                throw SampleCompileError(.invalidPattern, "\(file):\(line): '\(text)' is not a valid integer value")
            }
            return .sint(value)
        case .addr, .ipv4, .ipv6:
            if let v4 = IPv4Address(text) { return .ipv4(v4) }
            if let v6 = IPv6Address(text) { return .ipv6(v6) }
            throw SampleCompileError(.invalidPattern, "\(file):\(line): '\(text)' is not a valid IP address value")
        default:
            return .string(text)
        }
    }

    /// The value of the entry matching `key` (cast to the method's type first), or nil.
    public func lookup(_ key: Sample) -> Sample? {
        guard let cast = key.converted(to: method.sampleType) else { return nil }
        let entries = index.current
        guard let position = entries.patterns.match(cast) else { return nil }
        return entries.values[position]
    }

    /// Looks up a string key.
    public func lookup(_ key: String) -> Sample? {
        lookup(.string(key))
    }
}
