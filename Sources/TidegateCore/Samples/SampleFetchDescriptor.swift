/// A sample fetch keyword: its name, arguments, output type, what it needs, and how it runs.
///
/// Built-in fetches are registered in `SampleFetchRegistry.standard`; other modules (Lua's
/// `core.register_fetches`) add their own descriptors to a registry copy.
public struct SampleFetchDescriptor: Sendable {
    /// Returns the single value HAProxy uses outside ACLs (for a multi-valued fetch such as `hdr`,
    /// the last occurrence unless the keyword says otherwise), or nil when there is none.
    public typealias Fetch = @Sendable (SampleContext, [SampleArgument]) -> Sample?
    /// Calls `visit` with every value, in order, until it returns true (HAProxy's `SMP_F_NOT_LAST`
    /// iteration, used by ACLs).
    public typealias Iterate = @Sendable (SampleContext, [SampleArgument], (Sample) -> Bool) -> Void
    /// Turns the argument texts into compiled arguments, or throws a message without the keyword name.
    public typealias CompileArguments =
        @Sendable ([String], SampleCompileEnvironment) throws(SampleCompileError) -> [SampleArgument]

    /// The keyword, e.g. `req.hdr`.
    public var name: String
    /// The type of the values it returns (`any` when only known at run time).
    public var outputType: SampleType
    /// What the fetch needs from the stream.
    public var requirements: SampleRequirements
    /// How many arguments must be given.
    public var minimumArguments: Int
    /// How many arguments may be given.
    public var maximumArguments: Int
    /// The kinds of the arguments, for the generic argument compiler (missing entries are strings).
    public var argumentKinds: [SampleArgumentKind]
    /// A custom argument compiler replacing the generic one.
    public var compileArguments: CompileArguments?
    /// Produces the single value.
    public var fetch: Fetch
    /// Produces all values; nil for single-valued fetches.
    public var iterate: Iterate?

    public init(
        name: String, outputType: SampleType, requirements: SampleRequirements = [],
        minimumArguments: Int = 0, maximumArguments: Int = 0, argumentKinds: [SampleArgumentKind] = [],
        compileArguments: CompileArguments? = nil, fetch: @escaping Fetch, iterate: Iterate? = nil
    ) {
        self.name = name
        self.outputType = outputType
        self.requirements = requirements
        self.minimumArguments = minimumArguments
        self.maximumArguments = max(maximumArguments, minimumArguments)
        self.argumentKinds = argumentKinds
        self.compileArguments = compileArguments
        self.fetch = fetch
        self.iterate = iterate
    }
}
