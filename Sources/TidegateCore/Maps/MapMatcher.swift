/// A map file indexed for one match method, with its values parsed to the output type: what the
/// `map_*` converters (and Lua's `Map` class) look keys up in.
public final class MapMatcher: Sendable {
    /// The file the entries come from.
    public let file: MapFile
    /// How keys are compared.
    public let method: PatternMatchMethod
    /// The type of the values.
    public let outputType: SampleType
    let patterns: PatternList
    let values: [Sample?]

    /// Indexes `file`'s keys for `method` and parses its values as `output` (`str`, `sint` or `addr`).
    public init(file: MapFile, method: PatternMatchMethod, output: SampleType) throws(SampleCompileError) {
        self.file = file
        self.method = method
        self.outputType = output
        var patterns = PatternList(method: method)
        var values: [Sample?] = []
        values.reserveCapacity(file.entries.count)
        for (index, entry) in file.entries.enumerated() {
            do {
                try patterns.add(entry.key, ignoreCase: false, index: index)
            } catch {
                throw SampleCompileError(error.code, "\(file.path):\(entry.line): \(error.message)")
            }
            let value = try MapMatcher.parseValue(entry.value, as: output, file: file.path, line: entry.line)
            values.append(value)
        }
        self.patterns = patterns
        self.values = values
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
        guard let cast = key.converted(to: method.sampleType), let index = patterns.match(cast) else { return nil }
        return values[index]
    }

    /// Looks up a string key.
    public func lookup(_ key: String) -> Sample? {
        lookup(.string(key))
    }
}
