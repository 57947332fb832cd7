import Synchronization

/// Loaded map and pattern files by path, so that every converter and ACL using the same file
/// shares one copy (and one compiled index per match method).
public final class MapFileCache: Sendable {
    private struct Key: Hashable {
        var path: String
        var asMap: Bool
    }

    private struct MatcherKey: Hashable {
        var path: String
        var method: PatternMatchMethod
        var output: SampleType
    }

    private struct State {
        var files: [Key: MapFile] = [:]
        var matchers: [MatcherKey: MapMatcher] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The cache used by `SampleCompileEnvironment.standard`.
    public static let shared = MapFileCache()

    /// The file at `path`, read on first use.
    public func file(path: String, asMap: Bool) throws(SampleCompileError) -> MapFile {
        let key = Key(path: path, asMap: asMap)
        if let cached = state.withLock({ $0.files[key] }) { return cached }
        let loaded = try MapFile.load(path: path, asMap: asMap)
        return state.withLock { state in
            if let raced = state.files[key] { return raced }
            state.files[key] = loaded
            return loaded
        }
    }

    /// The map at `path` compiled for `method` with values of type `output`, built on first use.
    public func matcher(path: String, method: PatternMatchMethod, output: SampleType) throws(SampleCompileError)
        -> MapMatcher
    {
        let key = MatcherKey(path: path, method: method, output: output)
        if let cached = state.withLock({ $0.matchers[key] }) { return cached }
        let file = try file(path: path, asMap: true)
        let built = try MapMatcher(file: file, method: method, output: output)
        return state.withLock { state in
            if let raced = state.matchers[key] { return raced }
            state.matchers[key] = built
            return built
        }
    }

    /// Forgets every file (for a configuration reload in the same process).
    public func removeAll() {
        state.withLock { $0 = State() }
    }
}
