import NIOCore
import TidegateConfig
import TidegateHTTP

/// Where a rule runs: HAProxy's action "facilities" (`tcp-req`, `tcp-res`, `http-req`, `http-res`,
/// `http-after-res` in `core.register_action`).
public enum RuleFacility: String, Sendable, CaseIterable {
    case tcpRequest = "tcp-req"
    case tcpResponse = "tcp-res"
    case httpRequest = "http-req"
    case httpResponse = "http-res"
    case httpAfterResponse = "http-after-res"

    /// Whether the rule works on the response.
    public var isResponse: Bool { self == .tcpResponse || self == .httpResponse || self == .httpAfterResponse }
}

/// What an action implemented outside the core (a Lua `core.register_action` function) decided.
public enum ExternalActionOutcome: Sendable {
    /// Go on with the next rule (`act.CONTINUE`, an error in the action, or no return value).
    case `continue`
    /// Stop evaluating this rule set (`act.STOP`).
    case stop
    /// Answer locally and end the transaction (`txn:done(reply)`, `act.DENY`, `act.ERROR`, `act.INVALID`).
    case respond(LocalResponse)
    /// Close the client connection without an answer (`act.ABORT`, `txn:done()` in TCP).
    case abort
    /// The action is waiting (sleep, socket I/O, forced yield). The engine calls the context's `wake` when it
    /// can go on; the proxy then evaluates the same rule again, and the action resumes where it stopped.
    case suspend
}

/// An action implemented outside the core. Executed on the stream's event loop.
public protocol ExternalRuleAction: Sendable {
    /// Runs the action, or resumes it after `.suspend`. `final` is true when the rule set must finish now
    /// (no yield possible: the action then fails with "unable to yield").
    func execute(in context: SampleContext, facility: RuleFacility, final: Bool) -> ExternalActionOutcome
}

/// The kind of a service (`use-service`).
public enum ServiceMode: String, Sendable {
    case http, tcp
}

/// A service (`http-request use-service lua.<name>`, `tcp-request content use-service lua.<name>`): an applet
/// that answers the client instead of a server.
public protocol ExternalService: Sendable {
    var name: String { get }
    var mode: ServiceMode { get }
    /// Starts the applet for the stream of `context`. For HTTP services, the applet writes a complete HTTP/1.1
    /// response (head and framed body) to `io`; the proxy handles it like a server's response.
    func start(in context: SampleContext, io: any ServiceIO) -> any RunningService
}

/// The proxy side of a running service.
public protocol ServiceIO: AnyObject {
    /// Request bytes received so far and not yet taken (HTTP: the request body as received on the wire, still
    /// chunk-encoded if it was; TCP: the client's bytes).
    func takeInput() -> ByteBuffer?
    /// The framing of the HTTP request body (nil for TCP services).
    var requestFraming: HTTPBodyFraming? { get }
    /// Whether the client will send no more input (body complete, or the client closed its side).
    var inputEnded: Bool { get }
    /// Sends bytes to the client (HTTP: response head and framed body).
    func write(_ bytes: ByteBuffer)
    /// Output is complete: for HTTP the response is finished (its framing tells the proxy); for TCP the
    /// connection closes after the bytes are sent.
    func finish()
    /// Whether the client connection can take more bytes now (backpressure; `outputWritable` is called when it can).
    var isWritable: Bool { get }
}

/// A service being run by the engine.
public protocol RunningService: AnyObject {
    /// More input arrived, or the input ended.
    func inputAvailable()
    /// The client can take more output.
    func outputWritable()
    /// The stream is gone (client closed, timeout): stop and release everything.
    func cancel()
}

/// Resolves `lua.<name>` actions and services while the configuration is compiled.
public struct ExternalRuleResolver: Sendable {
    /// Returns the action for `name` (the part after `lua.`) with its configuration arguments, or throws a message.
    public var action:
        @Sendable (_ name: String, _ arguments: [String], _ facility: RuleFacility) throws(SampleCompileError) ->
            any ExternalRuleAction
    /// Returns the service for `name`, or throws a message.
    public var service: @Sendable (_ name: String) throws(SampleCompileError) -> any ExternalService

    public init(
        action: @escaping @Sendable (String, [String], RuleFacility) throws(SampleCompileError) ->
            any ExternalRuleAction,
        service: @escaping @Sendable (String) throws(SampleCompileError) -> any ExternalService
    ) {
        self.action = action
        self.service = service
    }
}

/// Per-transaction state a script engine keeps in a `SampleContext` (the Lua coroutine, the TXN object...).
/// Ended when the transaction ends.
public protocol ScriptTransactionState: AnyObject {
    /// The transaction is over (or the connection closed): cancel pending work and release objects.
    func end()
}
