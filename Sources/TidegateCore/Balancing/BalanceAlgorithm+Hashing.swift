import TidegateConfig

extension BalanceAlgorithm {
    /// Whether the algorithm hashes a request property.
    public var isHashBased: Bool {
        switch self {
        case .source, .uri, .urlParameter, .header: return true
        default: return false
        }
    }
}
