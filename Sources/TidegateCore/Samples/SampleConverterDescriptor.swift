/// A converter keyword: its name, arguments, input and output types, and how it runs.
public struct SampleConverterDescriptor: Sendable {
    /// Transforms `input` (already cast to `inputType`); nil when the conversion fails.
    public typealias Convert = @Sendable (Sample, [SampleArgument], SampleContext) -> Sample?

    /// The keyword, e.g. `lower`.
    public var name: String
    /// The type the input is cast to before the converter runs (`any`: no cast).
    public var inputType: SampleType
    /// The type of the output (`any` with `passesInputType`: same as the input).
    public var outputType: SampleType
    /// Whether the output has the input's type (`set-var`).
    public var passesInputType: Bool
    /// How many arguments must be given.
    public var minimumArguments: Int
    /// How many arguments may be given.
    public var maximumArguments: Int
    /// The kinds of the arguments, for the generic argument compiler (missing entries are strings).
    public var argumentKinds: [SampleArgumentKind]
    /// A custom argument compiler replacing the generic one.
    public var compileArguments: SampleFetchDescriptor.CompileArguments?
    /// The conversion.
    public var convert: Convert

    public init(
        name: String, inputType: SampleType, outputType: SampleType, passesInputType: Bool = false,
        minimumArguments: Int = 0, maximumArguments: Int = 0, argumentKinds: [SampleArgumentKind] = [],
        compileArguments: SampleFetchDescriptor.CompileArguments? = nil, convert: @escaping Convert
    ) {
        self.name = name
        self.inputType = inputType
        self.outputType = outputType
        self.passesInputType = passesInputType
        self.minimumArguments = minimumArguments
        self.maximumArguments = max(maximumArguments, minimumArguments)
        self.argumentKinds = argumentKinds
        self.compileArguments = compileArguments
        self.convert = convert
    }
}
