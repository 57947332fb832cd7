/// `hash-type <method> [<function>] [avalanche]`: how hash-based balancing maps hashes to servers.
public struct HashType: Sendable, Hashable {
    /// How hashes are mapped to servers.
    public enum Method: String, Sendable, Hashable, CaseIterable {
        /// Modulo over the weighted server list (HAProxy's default).
        case mapBased = "map-based"
        /// A consistent-hashing ring.
        case consistent
    }

    /// The hash function.
    public enum Function: String, Sendable, Hashable, CaseIterable {
        case sdbm
        case djb2
        case wt6
        case crc32
        /// The input is used as is (must already be an integer).
        case none
    }

    public var method: Method
    public var function: Function
    /// `avalanche`: mix the hash before mapping.
    public var avalanche: Bool

    public init(method: Method = .mapBased, function: Function = .sdbm, avalanche: Bool = false) {
        self.method = method
        self.function = function
        self.avalanche = avalanche
    }
}
