/// `balance`: how a backend picks a server.
public enum BalanceAlgorithm: Sendable, Hashable {
    /// Options of `balance uri`.
    public struct URIOptions: Sendable, Hashable {
        /// `whole`: hash the query string too.
        public var whole: Bool
        /// `len <n>`: only the first n characters.
        public var length: Int?
        /// `depth <n>`: only the first n directories.
        public var depth: Int?
        /// `path-only`: hash the path only, ignoring an authority in absolute URIs.
        public var pathOnly: Bool

        public init(whole: Bool = false, length: Int? = nil, depth: Int? = nil, pathOnly: Bool = false) {
            self.whole = whole
            self.length = length
            self.depth = depth
            self.pathOnly = pathOnly
        }
    }

    /// `roundrobin`: weighted, dynamic (HAProxy's default).
    case roundRobin
    /// `static-rr`: weighted, static.
    case staticRoundRobin
    /// `leastconn`: fewest active connections.
    case leastConnections
    /// `first`: the first server with available slots, by id.
    case first
    /// `source`: hash of the client address.
    case source
    /// `uri [whole] [len n] [depth n] [path-only]`: hash of the URI.
    case uri(URIOptions)
    /// `url_param <param> [check_post]`: hash of a query string parameter.
    case urlParameter(name: String, checkPost: Bool)
    /// `hdr(<name>) [use_domain_only]`: hash of a request header.
    case header(name: String, useDomainOnly: Bool)
    /// `random[(<draws>)]`: power of n random choices, 2 draws by default.
    case random(draws: Int)
}
