/// How an ACL (or a map) compares samples with its patterns: HAProxy's `-m` methods.
public enum PatternMatchMethod: String, Sendable, Hashable, CaseIterable {
    /// The sample exists (no pattern).
    case found
    /// The sample is true or a non-zero integer (no pattern).
    case bool
    /// Integer equal to a value or within a range (`10`, `1:5`, `:3`, operators `eq ge gt le lt`).
    case int
    /// Address within an IPv4/IPv6 network.
    case ip
    /// Binary equal to a hexadecimal pattern.
    case bin
    /// String length within an integer range.
    case len
    /// String equal.
    case str
    /// Pattern contained in the string.
    case sub
    /// Regular expression found in the string.
    case reg
    /// String begins with the pattern.
    case beg
    /// String ends with the pattern.
    case end
    /// A slash-delimited part of the string equals the pattern.
    case dir
    /// A dot-delimited part of the string equals the pattern.
    case dom
    /// HTTP method (the default for `method`): known methods compare exactly, others as strings.
    case meth

    /// The type the sample is cast to before matching.
    public var sampleType: SampleType {
        switch self {
        case .found: .any
        case .bool: .bool
        case .int: .sint
        case .ip: .addr
        case .bin: .bin
        case .len, .str, .sub, .reg, .beg, .end, .dir, .dom: .str
        case .meth: .meth
        }
    }

    /// Whether patterns are forbidden (`found`, `bool`).
    public var takesNoPattern: Bool { self == .found || self == .bool }

    /// The method HAProxy uses when none is given, from the expression's output type.
    public static func defaultMethod(for type: SampleType) -> PatternMatchMethod? {
        switch type {
        case .bool: .bool
        case .sint: .int
        case .addr, .ipv4, .ipv6: .ip
        case .str: .str
        case .bin: .bin
        case .meth: .meth
        case .any: nil
        }
    }
}
