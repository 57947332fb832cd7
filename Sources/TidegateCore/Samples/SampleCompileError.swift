/// Why a sample expression, ACL, condition or log-format string could not be compiled.
///
/// The message names what is wrong but not where: the caller adds the file and line.
public struct SampleCompileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, for callers that want to react to some of them.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let unknownFetch = Code(name: "unknown fetch method")
        public static let unknownConverter = Code(name: "unknown converter")
        public static let invalidArgument = Code(name: "invalid argument")
        public static let missingArgument = Code(name: "missing argument")
        public static let incompatibleConverter = Code(name: "converter cannot be applied")
        public static let syntax = Code(name: "syntax error")
        public static let invalidPattern = Code(name: "invalid pattern")
        public static let unknownACL = Code(name: "unknown ACL")
        public static let file = Code(name: "file error")
        public static let invalidFormat = Code(name: "invalid log format")
        public static let unsupported = Code(name: "not supported")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
