/// The type of a sample, as HAProxy names them (`bool`, `sint`, `addr`, `ipv4`, `ipv6`, `str`, `bin`, `meth`).
///
/// `any` and `addr` are pseudo-types: `any` is what a fetch declares when its output type is only
/// known at run time (`var()`), `addr` accepts either IP family (the input of `ipmask` or `map_ip`).
public enum SampleType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case any
    case bool
    case sint
    case addr
    case ipv4
    case ipv6
    case str
    case bin
    case meth

    public var description: String {
        switch self {
        case .any: "any"
        case .bool: "bool"
        case .sint: "sint"
        case .addr: "addr"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .str: "str"
        case .bin: "bin"
        case .meth: "meth"
        }
    }

    /// Whether HAProxy's cast table has a conversion from `self` to `target` (it may still fail at run
    /// time, e.g. a string that is not an address).
    public func canCast(to target: SampleType) -> Bool {
        if self == .any || target == .any || self == target { return true }
        switch (self, target) {
        case (.bool, .sint), (.bool, .str): return true
        case (.sint, .bool), (.sint, .addr), (.sint, .ipv4), (.sint, .ipv6), (.sint, .str), (.sint, .bin): return true
        case (.addr, .ipv4), (.addr, .ipv6), (.addr, .str), (.addr, .bin): return true
        case (.ipv4, .sint), (.ipv4, .addr), (.ipv4, .ipv6), (.ipv4, .str), (.ipv4, .bin): return true
        case (.ipv6, .addr), (.ipv6, .ipv4), (.ipv6, .str), (.ipv6, .bin): return true
        case (.str, _): return true
        case (.bin, .str), (.bin, .meth): return true
        case (.meth, .str), (.meth, .bin): return true
        default: return false
        }
    }
}
