/// The arguments of a `redirect` action:
/// `location|prefix|scheme <value> [code <n>] [drop-query] [append-slash] [set-cookie <c>] [clear-cookie <c>]`.
public struct HTTPRedirectConfiguration: Sendable, Hashable {
    /// What ``HTTPRedirectConfiguration/value`` replaces.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The whole `Location` (log-format string).
        case location
        /// A prefix put before the original path.
        case prefix
        /// The scheme; host and path are kept.
        case scheme
    }

    public var kind: Kind
    /// The location, prefix or scheme, as a log-format string.
    public var value: String
    /// 301, 302 (default), 303, 307 or 308.
    public var code: Int
    /// `drop-query`: remove the query string (location and prefix).
    public var dropQuery: Bool
    /// `append-slash`: add a `/` to the path (with `drop-query`).
    public var appendSlash: Bool
    /// `set-cookie NAME[=value]`.
    public var setCookie: String?
    /// `clear-cookie NAME[=]`.
    public var clearCookie: String?

    public init(
        kind: Kind,
        value: String,
        code: Int = 302,
        dropQuery: Bool = false,
        appendSlash: Bool = false,
        setCookie: String? = nil,
        clearCookie: String? = nil
    ) {
        self.kind = kind
        self.value = value
        self.code = code
        self.dropQuery = dropQuery
        self.appendSlash = appendSlash
        self.setCookie = setCookie
        self.clearCookie = clearCookie
    }
}
