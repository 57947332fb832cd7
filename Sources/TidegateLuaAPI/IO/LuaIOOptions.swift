import TidegateCore

/// Settings of the Lua I/O classes (`Socket`, `HTTPClient`, `Map`), from the global section of the configuration.
public struct LuaIOOptions: Sendable {
    /// The `core.httpclient()` settings (HAProxy's `httpclient.*` global keywords).
    public struct HTTPClient: Sendable {
        /// `httpclient.retries`: how many times a failed connection is retried.
        public var retries: Int
        /// `httpclient.timeout.connect`, in milliseconds.
        public var connectTimeoutMilliseconds: Int64
        /// The inactivity timeout of a request without a `timeout` field, in milliseconds; nil for none (HAProxy's
        /// internal HTTP client proxy has no server timeout).
        public var defaultTimeoutMilliseconds: Int64?

        public init(
            retries: Int = 3, connectTimeoutMilliseconds: Int64 = 5000, defaultTimeoutMilliseconds: Int64? = nil
        ) {
            self.retries = retries
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.defaultTimeoutMilliseconds = defaultTimeoutMilliseconds
        }
    }

    public var httpClient: HTTPClient
    /// The timeout of a new `Socket` until `settimeout` changes it, in milliseconds (connect and inactivity; HAProxy's
    /// internal "LUA-SOCKET" proxy uses 5 s).
    public var socketTimeoutMilliseconds: Int64
    /// The directory relative `Map.new` paths are resolved against (the configuration's `default-path`); nil keeps
    /// them relative to the working directory, as HAProxy does by default.
    public var mapBaseDirectory: String?
    /// Where map files are loaded and cached (shared with the `map_*` converters by default).
    public var mapFiles: MapFileCache

    public init(
        httpClient: HTTPClient = HTTPClient(),
        socketTimeoutMilliseconds: Int64 = 5000,
        mapBaseDirectory: String? = nil,
        mapFiles: MapFileCache = .shared
    ) {
        self.httpClient = httpClient
        self.socketTimeoutMilliseconds = socketTimeoutMilliseconds
        self.mapBaseDirectory = mapBaseDirectory
        self.mapFiles = mapFiles
    }
}
