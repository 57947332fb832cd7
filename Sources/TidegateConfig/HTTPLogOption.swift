/// `option httplog [clf]`: the predefined HTTP log format.
public enum HTTPLogOption: String, Sendable, Hashable, CaseIterable {
    /// HAProxy's HTTP format.
    case standard
    /// `clf`: the Common Log Format variant.
    case clf
}
