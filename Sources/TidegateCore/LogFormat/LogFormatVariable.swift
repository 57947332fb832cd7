/// The `%<name>` variables of a log format (HAProxy's log-format variables).
public enum LogFormatVariable: String, Sendable, CaseIterable {
    case globalOptions = "o"
    case bytesRead = "B"
    case capturedRequestCookie = "CC"
    case capturedResponseCookie = "CS"
    case hostname = "H"
    case uniqueID = "ID"
    case status = "ST"
    case dateGMT = "T"
    case activeTime = "Ta"
    case connectTime = "Tc"
    case handshakeTime = "Th"
    case idleTime = "Ti"
    case dateLocal = "Tl"
    case requestCompleteTime = "Tq"
    case responseTime = "Tr"
    case requestTime = "TR"
    case dataTime = "Td"
    case timestamp = "Ts"
    case totalTime = "Tt"
    case userTime = "Tu"
    case queueTime = "Tw"
    case bytesUploaded = "U"
    case activeConnections = "ac"
    case backend = "b"
    case backendConnections = "bc"
    case backendSourceIP = "bi"
    case backendSourcePort = "bp"
    case backendQueue = "bq"
    case clientIP = "ci"
    case clientPort = "cp"
    case frontend = "f"
    case frontendConnections = "fc"
    case frontendIP = "fi"
    case frontendPort = "fp"
    case frontendTransport = "ft"
    case requestHeaders = "hr"
    case requestHeaderList = "hrl"
    case responseHeaders = "hs"
    case responseHeaderList = "hsl"
    case httpMethod = "HM"
    case httpPath = "HP"
    case httpPathOnly = "HPO"
    case httpQuery = "HQ"
    case httpURI = "HU"
    case httpVersion = "HV"
    case logCounter = "lc"
    case milliseconds = "ms"
    case pid = "pid"
    case request = "r"
    case retries = "rc"
    case requestCounter = "rt"
    case server = "s"
    case serverConnections = "sc"
    case serverIP = "si"
    case serverPort = "sp"
    case serverQueue = "sq"
    case tlsCipher = "sslc"
    case tlsVersion = "sslv"
    case date = "t"
    case requestDate = "tr"
    case requestDateGMT = "trg"
    case requestDateLocal = "trl"
    case terminationState = "ts"
    case terminationStateWithCookie = "tsc"

    /// Whether HAProxy only accepts the variable in HTTP mode.
    public var requiresHTTP: Bool {
        switch self {
        case .capturedRequestCookie, .capturedResponseCookie, .activeTime, .idleTime, .requestCompleteTime,
            .responseTime, .requestTime, .httpMethod, .httpPath, .httpPathOnly, .httpQuery, .httpURI, .httpVersion,
            .request, .requestDate, .requestDateGMT, .requestDateLocal:
            true
        default:
            false
        }
    }
}
