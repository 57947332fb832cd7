import Synchronization

/// Loaded map and pattern files by path, so that every converter and ACL using the same file
/// shares one copy (one `PatternReference`, so one set of run-time changes) and one compiled index
/// per match method.
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
        var references: [Key: PatternReference] = [:]
        /// The references in load order.
        var loaded: [PatternReference] = []
        var matchers: [MatcherKey: MapMatcher] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The cache used by `SampleCompileEnvironment.standard`.
    public static let shared = MapFileCache()

    /// The file at `path` with its run-time changes, read on first use.
    public func reference(path: String, asMap: Bool) throws(SampleCompileError) -> PatternReference {
        let key = Key(path: path, asMap: asMap)
        if let cached = state.withLock({ $0.references[key] }) { return cached }
        let loaded = PatternReference(file: try MapFile.load(path: path, asMap: asMap), isMap: asMap)
        return state.withLock { state in
            if let raced = state.references[key] { return raced }
            state.references[key] = loaded
            state.loaded.append(loaded)
            return loaded
        }
    }

    /// The file at `path` as read, on first use.
    public func file(path: String, asMap: Bool) throws(SampleCompileError) -> MapFile {
        try reference(path: path, asMap: asMap).file
    }

    /// The references already loaded for `path` (as a map, as a pattern list, or both): the files the
    /// configuration uses, which `core.set_map` and friends may change. Never reads a file.
    public func loadedReferences(path: String) -> [PatternReference] {
        state.withLock { state in
            [true, false].compactMap { state.references[Key(path: path, asMap: $0)] }
        }
    }

    /// The references of the file a user names (`core.set_map`, the runtime API's `add map`...): the name as the
    /// configuration wrote it, else resolved against `baseDirectory` as the configuration resolved it.
    public func loadedReferences(named name: String, baseDirectory: String?) -> [PatternReference] {
        let references = loadedReferences(path: name)
        guard references.isEmpty else { return references }
        return loadedReferences(path: SampleCompileEnvironment.resolve(name, against: baseDirectory))
    }

    /// Every file loaded so far, in load order (as a map and as a pattern list apart).
    public func allReferences() -> [PatternReference] {
        state.withLock { $0.loaded }
    }

    /// The map at `path` compiled for `method` with values of type `output`, built on first use.
    public func matcher(path: String, method: PatternMatchMethod, output: SampleType) throws(SampleCompileError)
        -> MapMatcher
    {
        let key = MatcherKey(path: path, method: method, output: output)
        if let cached = state.withLock({ $0.matchers[key] }) { return cached }
        let built = try MapMatcher(reference: try reference(path: path, asMap: true), method: method, output: output)
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
