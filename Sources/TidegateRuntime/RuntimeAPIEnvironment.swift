import TidegateCore

/// What the runtime API's commands act on: the running configuration's sections and servers, and the map and
/// pattern files its rules loaded.
public struct RuntimeAPIEnvironment: Sendable {
    /// The frontends, backends and servers (the same objects the Lua API changes).
    public var catalog: ProxyCatalog
    /// The loaded map and ACL files (`add map`, `del acl`...).
    public var patternFiles: MapFileCache
    /// The directory relative map names resolve against, as in the configuration.
    public var baseDirectory: String?

    public init(catalog: ProxyCatalog, patternFiles: MapFileCache, baseDirectory: String? = nil) {
        self.catalog = catalog
        self.patternFiles = patternFiles
        self.baseDirectory = baseDirectory
    }
}
