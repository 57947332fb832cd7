/// The converter keywords known to the compiler, by name.
public struct SampleConverterRegistry: Sendable {
    private var descriptors: [String: SampleConverterDescriptor] = [:]

    /// An empty registry.
    public init() {}

    /// The built-in converters.
    public static let standard: SampleConverterRegistry = {
        var registry = SampleConverterRegistry()
        registry.registerStringConverters()
        registry.registerArithmeticConverters()
        registry.registerHashConverters()
        registry.registerMapConverters()
        registry.registerMiscConverters()
        return registry
    }()

    /// Adds or replaces a converter.
    public mutating func register(_ descriptor: SampleConverterDescriptor) {
        descriptors[descriptor.name] = descriptor
    }

    /// The converter named `name`.
    public func descriptor(named name: String) -> SampleConverterDescriptor? { descriptors[name] }

    /// All converter names, sorted.
    public var names: [String] { descriptors.keys.sorted() }
}
