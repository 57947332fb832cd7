/// What compiling sample expressions, ACLs and log formats may refer to: the keyword registries,
/// the map file cache, and the directory relative file names are resolved against.
public struct SampleCompileEnvironment: Sendable {
    public var fetches: SampleFetchRegistry
    public var converters: SampleConverterRegistry
    /// Loaded map and pattern files, shared by every use of the same path.
    public var files: MapFileCache
    /// Directory for relative `-f` and map file names (HAProxy: the current directory).
    public var baseDirectory: String?
    /// Resolves `lua.<name>` actions and services; nil when no script engine is loaded.
    public var externalRules: ExternalRuleResolver?

    public init(
        fetches: SampleFetchRegistry = .standard, converters: SampleConverterRegistry = .standard,
        files: MapFileCache = .shared, baseDirectory: String? = nil
    ) {
        self.fetches = fetches
        self.converters = converters
        self.files = files
        self.baseDirectory = baseDirectory
    }

    /// The built-in keywords and the process-wide file cache.
    public static var standard: SampleCompileEnvironment { SampleCompileEnvironment() }

    /// `path` made absolute against `baseDirectory`.
    func resolve(path: String) -> String {
        Self.resolve(path, against: baseDirectory)
    }

    /// A relative `path` made absolute against `base` (unchanged without a base).
    public static func resolve(_ path: String, against base: String?) -> String {
        guard let base, !path.hasPrefix("/") else { return path }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }
}
