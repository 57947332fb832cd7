import NIOCore
import TidegateCore
import TidegateHTTP

/// One request/response exchange on a client connection. A class, so the session edits it in
/// place without copying its references on every step.
final class HTTPTransaction {
    /// Where the server side of the exchange stands.
    enum ServerPhase {
        /// No server involved yet (or a local response).
        case none
        /// Waiting in the backend queue for a server slot.
        case queued
        /// Connecting to the server.
        case connecting
        /// Request sent (or being sent); waiting for the response head.
        case waitingResponse
        /// Response head received; an `http-response` action (Lua) is waiting. Later bytes are kept for then.
        case analyzingResponse
        /// Forwarding the response body.
        case responseBody
        /// Response fully forwarded.
        case done
    }

    var requestBody: BodyProgress
    /// How the request body is delimited (services decode it themselves).
    let requestFraming: HTTPBodyFraming
    /// The server's response asked to close the connection.
    var serverWantsClose = false
    var responseBody: BodyProgress = .empty
    var serverPhase: ServerPhase = .none
    var backend: BackendRuntime?
    /// The server whose slot this transaction holds.
    var server: Server? {
        didSet { if let server { serverForLog = server } }
    }
    /// The last server used, kept for the log after the slot is released.
    var serverForLog: Server?
    /// The request line for `%r`, captured before rules rewrite it (only when the frontend logs).
    var requestLine: String?
    /// Connection attempts made (for `retries`).
    var attempts = 0
    /// Whether the request went out on a reused idle connection.
    var reusedConnection = false
    let isHeadRequest: Bool
    /// The request's HTTP minor version (the head itself lives in the stream's sample context).
    let requestVersionMinor: Int
    /// Close the client connection once the response is out.
    var closeClientAfter = false
    /// Whether the request head was already written to a server connection.
    var requestHeadSent = false
    /// HAProxy-style termination state, e.g. `--`, `SC`, `cD`.
    var termination: (UInt8, UInt8) = (UInt8(ascii: "-"), UInt8(ascii: "-"))
    var status = 0
    /// Response bytes sent to the client (`%B`) and request bytes received (`%U`).
    var bytesToClient: UInt64 = 0
    var bytesFromClient: UInt64 = 0
    /// Timestamps (monotonic) for the log timers.
    let acceptedAt: NIODeadline
    let headReceivedAt: NIODeadline
    /// When the first byte of this request arrived.
    let requestStartedAt: NIODeadline
    var queuedAt: NIODeadline?
    var connectStartedAt: NIODeadline?
    var connectedAt: NIODeadline?
    var responseHeadAt: NIODeadline?

    init(
        request: HTTPHead, framing: HTTPBodyFraming, acceptedAt: NIODeadline, requestStartedAt: NIODeadline,
        now: NIODeadline
    ) {
        self.requestStartedAt = requestStartedAt
        self.requestVersionMinor = request.versionMinor
        self.requestBody = BodyProgress(framing)
        self.requestFraming = framing
        self.isHeadRequest = request.methodIs("HEAD")
        self.acceptedAt = acceptedAt
        self.headReceivedAt = now
    }

    /// Sets the termination state if none was set yet.
    func terminate(_ first: Character, _ second: Character) {
        if termination.0 == UInt8(ascii: "-") {
            termination = (first.asciiValue ?? UInt8(ascii: "-"), second.asciiValue ?? UInt8(ascii: "-"))
        }
    }
}
