import NIOSSL
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
        /// The TLS context of `https://` requests (`LuaTLS.httpClientContext`, from `httpclient.ssl.verify` and
        /// `httpclient.ssl.ca-file`); nil: https is disabled and such requests end with status 0.
        public var tlsContext: NIOSSLContext?

        public init(
            retries: Int = 3, connectTimeoutMilliseconds: Int64 = 5000, defaultTimeoutMilliseconds: Int64? = nil,
            tlsContext: NIOSSLContext? = nil
        ) {
            self.retries = retries
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.defaultTimeoutMilliseconds = defaultTimeoutMilliseconds
            self.tlsContext = tlsContext
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
