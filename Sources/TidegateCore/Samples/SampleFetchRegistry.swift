/// The sample fetch keywords known to the compiler, by name.
public struct SampleFetchRegistry: Sendable {
    private var descriptors: [String: SampleFetchDescriptor] = [:]

    /// An empty registry.
    public init() {}

    /// The built-in fetches.
    public static let standard: SampleFetchRegistry = {
        var registry = SampleFetchRegistry()
        registry.registerInternalFetches()
        registry.registerConnectionFetches()
        registry.registerHTTPFetches()
        return registry
    }()

    /// Adds or replaces a fetch.
    public mutating func register(_ descriptor: SampleFetchDescriptor) {
        descriptors[descriptor.name] = descriptor
    }

    /// The fetch named `name`.
    public func descriptor(named name: String) -> SampleFetchDescriptor? { descriptors[name] }

    /// All fetch names, sorted.
    public var names: [String] { descriptors.keys.sorted() }
}
