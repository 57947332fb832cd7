import NIOCore
import TidegateConfig

/// A compiled argument of a sample fetch or converter.
public enum SampleArgument: Sendable {
    /// An optional argument that was not given.
    case none
    case string(String)
    case integer(Int64)
    case ipv4(IPv4Address, mask: UInt32)
    case ipv6(IPv6Address, prefixLength: Int)
    case variable(VariableName)
    case regex(CompiledRegex)
    case map(MapMatcher)
    /// A constant sample (precomputed result of a constant fetch, a default value).
    case sample(Sample)

    /// The argument as text, when it is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The argument as an integer, when it is one.
    public var integerValue: Int64? {
        if case .integer(let v) = self { return v }
        return nil
    }

    /// Whether the argument was given.
    public var isPresent: Bool {
        if case .none = self { return false }
        return true
    }
}

/// How a fetch or converter argument is written, for the generic argument compiler.
public enum SampleArgumentKind: Sendable, Hashable {
    /// Any text.
    case string
    /// A signed decimal integer.
    case integer
    /// A variable name `<scope>.<name>`.
    case variable
    /// A regular expression (case-sensitive).
    case regex
}
