import NIOCore

/// The KV names used in HELLO frames.
public enum SPOPHelloKey {
    public static let supportedVersions = "supported-versions"
    public static let version = "version"
    public static let maxFrameSize = "max-frame-size"
    public static let capabilities = "capabilities"
    public static let healthcheck = "healthcheck"
    public static let engineID = "engine-id"
}

/// The items of a HAPROXY-HELLO frame. Absent items are nil; unknown items are ignored.
public struct SPOPHAProxyHello: Sendable, Hashable {
    /// `supported-versions`: comma-separated `MAJOR.MINOR` versions ("2.0" from every HAProxy since 1.8.10).
    public var supportedVersions: String?
    /// `max-frame-size`: the largest frame HAProxy accepts and will send. Negative values read as 0.
    public var maxFrameSize: UInt32?
    /// `capabilities`: "pipelining,async" from HAProxy 2.6, "pipelining" from 3.1+, "" in health checks.
    public var capabilities: SPOPCapabilities?
    /// `healthcheck`: true in `option spop-check` probes; the agent answers and closes.
    public var isHealthCheck: Bool
    /// `engine-id`: identifies HAProxy's engine (per thread in 2.6); absent in health checks.
    public var engineID: String?

    public init(
        supportedVersions: String? = "2.0", maxFrameSize: UInt32? = UInt32(SPOPConfiguration.defaultMaxFrameSize),
        capabilities: SPOPCapabilities? = [.pipelining, .async], isHealthCheck: Bool = false, engineID: String? = nil
    ) {
        self.supportedVersions = supportedVersions
        self.maxFrameSize = maxFrameSize
        self.capabilities = capabilities
        self.isHealthCheck = isHealthCheck
        self.engineID = engineID
    }

    /// Reads a HAPROXY-HELLO payload. Throws only for a malformed KV list; items of the wrong type are
    /// treated as absent (negotiation then reports them missing).
    public init(payload: ByteBuffer) throws(SPOPError) {
        self.init(supportedVersions: nil, maxFrameSize: nil, capabilities: nil)
        for item in try SPOPKVList(validating: payload) {
            let name = item.name.readableBytesView
            if name.elementsEqual(SPOPHelloKey.supportedVersions.utf8) {
                if case .string(let text) = item.value { supportedVersions = String(buffer: text) }
            } else if name.elementsEqual(SPOPHelloKey.maxFrameSize.utf8) {
                if let size = item.value.helloSize { maxFrameSize = size }
            } else if name.elementsEqual(SPOPHelloKey.capabilities.utf8) {
                if case .string(let text) = item.value {
                    capabilities = SPOPCapabilities(parsing: text.readableBytesView)
                }
            } else if name.elementsEqual(SPOPHelloKey.healthcheck.utf8) {
                if case .bool(let flag) = item.value { isHealthCheck = flag }
            } else if name.elementsEqual(SPOPHelloKey.engineID.utf8) {
                if case .string(let text) = item.value { engineID = String(buffer: text) }
            }
        }
    }
}

/// The items of an AGENT-HELLO frame: the result of HELLO negotiation.
public struct SPOPAgentHello: Sendable, Hashable {
    /// The only protocol version HAProxy has accepted since 1.8.10.
    public static let protocolVersion = "2.0"

    /// `version`: the version chosen among HAProxy's `supported-versions`.
    public var version: String
    /// `max-frame-size`: the size both sides use from now on.
    public var maxFrameSize: UInt32
    /// `capabilities` the agent announces.
    public var capabilities: SPOPCapabilities

    public init(
        version: String = SPOPAgentHello.protocolVersion, maxFrameSize: UInt32, capabilities: SPOPCapabilities
    ) {
        self.version = version
        self.maxFrameSize = maxFrameSize
        self.capabilities = capabilities
    }

    /// Negotiates with `hello` as an agent configured with `configuration`:
    /// - `supported-versions` must be present (else status 5) and list 2.0 (else status 8);
    /// - `max-frame-size` must be present (else 6) and at least 256 (else 9); the agent answers
    ///   min(its own, HAProxy's);
    /// - `capabilities` must be present (else 7); pipelining and async are announced when both sides
    ///   support them, fragmentation whenever the agent supports it (it is about what the agent receives).
    public init(negotiating hello: SPOPHAProxyHello, configuration: SPOPConfiguration) throws(SPOPError) {
        guard let versions = hello.supportedVersions else { throw SPOPError(.versionNotFound) }
        guard Self.lists(version: 2000, in: versions) else { throw SPOPError(.unsupportedVersion) }
        guard let theirSize = hello.maxFrameSize else { throw SPOPError(.maxFrameSizeNotFound) }
        guard theirSize >= SPOPFrame.minimumMaxFrameSize else { throw SPOPError(.badMaxFrameSize) }
        guard let theirCapabilities = hello.capabilities else { throw SPOPError(.capabilitiesNotFound) }
        let size = Swift.min(UInt64(theirSize), UInt64(configuration.maxFrameSize))
        let capabilities = configuration.capabilities.intersection(theirCapabilities.union(.fragmentation))
        self.init(maxFrameSize: UInt32(size), capabilities: capabilities)
    }

    /// Whether a comma-separated list of `MAJOR.MINOR` versions names `version` (major × 1000 + minor).
    static func lists(version wanted: Int, in list: String) -> Bool {
        list.split(separator: ",").contains { parseVersion($0) == wanted }
    }

    /// `MAJOR.MINOR` with surrounding spaces, minor at most 999, as major × 1000 + minor; nil if malformed.
    static func parseVersion(_ text: Substring) -> Int? {
        let trimmed = text.utf8.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        var major = 0
        var minor = 0
        var majorDigits = 0
        var minorDigits = 0
        var sawDot = false
        var sawTrailingSpace = false
        for byte in trimmed {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard !sawTrailingSpace else { return nil }
                if sawDot {
                    minor = minor * 10 + Int(byte - UInt8(ascii: "0"))
                    minorDigits += 1
                    guard minor <= 999 else { return nil }
                } else {
                    major = major * 10 + Int(byte - UInt8(ascii: "0"))
                    majorDigits += 1
                    guard major <= 999 else { return nil }
                }
            case UInt8(ascii: "."):
                guard !sawDot, !sawTrailingSpace else { return nil }
                sawDot = true
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                sawTrailingSpace = true
            default:
                return nil
            }
        }
        guard sawDot, majorDigits > 0, minorDigits > 0 else { return nil }
        return major * 1000 + minor
    }

    /// Reads an AGENT-HELLO payload (for clients and tests). Items of the wrong type are treated as absent.
    public init(payload: ByteBuffer) throws(SPOPError) {
        var version: String? = nil
        var size: UInt32? = nil
        var capabilities = SPOPCapabilities()
        for item in try SPOPKVList(validating: payload) {
            let name = item.name.readableBytesView
            if name.elementsEqual(SPOPHelloKey.version.utf8) {
                if case .string(let text) = item.value { version = String(buffer: text) }
            } else if name.elementsEqual(SPOPHelloKey.maxFrameSize.utf8) {
                size = item.value.helloSize
            } else if name.elementsEqual(SPOPHelloKey.capabilities.utf8) {
                if case .string(let text) = item.value {
                    capabilities = SPOPCapabilities(parsing: text.readableBytesView)
                }
            }
        }
        guard let version else { throw SPOPError(.versionNotFound) }
        guard let size else { throw SPOPError(.maxFrameSizeNotFound) }
        self.init(version: version, maxFrameSize: size, capabilities: capabilities)
    }
}

extension SPOPTypedData {
    /// A `max-frame-size` value: any integer type, negatives as 0, values above 32 bits clamped.
    var helloSize: UInt32? {
        switch self {
        case .int32(let v): return UInt32(clamping: v)
        case .uint32(let v): return v
        case .int64(let v): return UInt32(clamping: v)
        case .uint64(let v): return UInt32(clamping: v)
        default: return nil
        }
    }
}
