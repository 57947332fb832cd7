import NIOCore
import TidegateConfig
import TidegateHTTP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything sample fetches can look at for one client connection: addresses, proxy names,
/// the current request and response heads, variables and log information.
///
/// One per client connection, created by the proxy at accept time and reused for each request on
/// the connection (`resetForNextRequest()`). Confined to the connection's event loop.
public final class SampleContext {
    /// Which message the rules being evaluated work on; decides what `hdr()` and friends read.
    public enum Direction: Sendable { case request, response }

    /// The client's address (`src`, `src_port`, `%ci`).
    public var clientAddress: SocketAddress?
    /// The address the client connected to (`dst`, `dst_port`, `%fi`).
    public var localAddress: SocketAddress?
    /// The frontend (`fe_name`, `%f`).
    public var frontendName: String
    /// The backend once chosen (`be_name`, `%b`); before that HAProxy reports the frontend.
    public var backendName: String?
    /// The server once chosen (`srv_name`, `%s`).
    public var serverName: String?
    /// The request head being processed.
    public var request: HTTPHead?
    /// The response head being processed.
    public var response: HTTPHead?
    /// Which head the current rules apply to.
    public var direction: Direction = .request
    /// How many transactions preceded the current one on this connection (`http_first_req`).
    public private(set) var transactionIndex = 0
    /// Set by `set-log-level silent`: the transaction must not be logged.
    public var logSilenced = false
    /// Bytes waiting in the request buffer (`req.len`, `REQ_CONTENT`) when there is no `requestChannel`.
    public var requestBufferLength: Int = 0
    /// TCP mode: the bytes held for content inspection in each direction (`req.len`, Lua's `txn.req`/`txn.res`).
    public var requestChannel: ChannelBuffer?
    public var responseChannel: ChannelBuffer?
    /// False while content rules are evaluated and more data may still come (HAProxy's partial evaluation, without
    /// `SMP_OPT_FINAL`): fetches whose result may change then set `sampleMayChange`.
    public var contentFinal = true
    /// Set by a fetch whose result may change with more data (`SMP_F_MAY_CHANGE`); read by `Condition.inspect`.
    public var sampleMayChange = false
    /// The `sess.`, `txn.`, `req.`, `res.` variables.
    public var variables = VariableStore()
    /// The `proc.` variables.
    public let processVariables: ProcessVariables
    /// Timers, counters and states for the log line.
    public var logInfo = StreamLogInfo()
    /// Backend and server state for `nbsrv` and `srv_is_up`.
    public var directory: (any ProxyDirectory)?
    /// Looks up environment variables for `env()`; the process environment by default.
    public var environment: @Sendable (String) -> String? = SampleContext.processEnvironment
    /// The current time in microseconds since the epoch, for `date()` and friends.
    public var clock: @Sendable () -> Int64 = SampleContext.systemClock
    var random = SampleRandom()
    /// The loop's script engine runtime (set by the proxy when an engine is loaded), for script fetches,
    /// converters and actions.
    public var scriptHost: AnyObject?
    /// The script engine's state for the current transaction (created on first use, ended with it).
    public var scriptState: (any ScriptTransactionState)?
    /// Called by a script engine when a suspended action can go on (set by the proxy).
    public var wake: (() -> Void)?

    public init(
        frontendName: String, clientAddress: SocketAddress? = nil, localAddress: SocketAddress? = nil,
        processVariables: ProcessVariables = .shared, directory: (any ProxyDirectory)? = nil
    ) {
        self.frontendName = frontendName
        self.clientAddress = clientAddress
        self.localAddress = localAddress
        self.processVariables = processVariables
        self.directory = directory
    }

    /// Forgets the previous transaction: heads, backend/server choice, `txn.`/`req.`/`res.` variables
    /// and the log information. Session variables and addresses stay.
    public func resetForNextRequest() {
        endScriptState()
        request = nil
        response = nil
        direction = .request
        backendName = nil
        serverName = nil
        requestBufferLength = 0
        logSilenced = false
        transactionIndex += 1
        variables.endTransaction()
        logInfo = StreamLogInfo()
    }

    /// Ends the script engine's transaction state, if any.
    public func endScriptState() {
        if let state = scriptState {
            scriptState = nil
            state.end()
        }
    }

    /// The head `hdr()`-style fetches read: the response in response rules, else the request.
    @inline(__always)
    var currentHead: HTTPHead? { direction == .response ? response : request }

    /// Edits the head the current rules apply to (the response in response rules) in place.
    public func editCurrentHead(_ body: (inout HTTPHead) -> Void) {
        if direction == .response {
            guard var head = response else { return }
            response = nil  // keep the head's storage uniquely referenced while editing
            body(&head)
            response = head
        } else {
            guard var head = request else { return }
            request = nil
            body(&head)
            request = head
        }
    }

    /// The value of a variable of any scope.
    public func variable(_ name: VariableName) -> Sample? {
        if name.scope == .process { return processVariables.value(named: name.name) }
        return variables.value(name)
    }

    /// Sets (nil: removes) a variable of any scope. The value is copied out of the message heads.
    public func setVariable(_ name: VariableName, to value: Sample?) {
        if name.scope == .process {
            processVariables.set(name.name, to: value)
        } else {
            variables.set(name, to: value)
        }
    }

    /// `getenv`.
    public static let processEnvironment: @Sendable (String) -> String? = { name in
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// `clock_gettime(CLOCK_REALTIME)` in microseconds.
    public static let systemClock: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

/// A small fast generator for `rand()` and `uuid()` (xoshiro256**), seeded from the system
/// generator on first use.
struct SampleRandom {
    private var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var seeded = false

    mutating func next() -> UInt64 {
        if !seeded {
            var system = SystemRandomNumberGenerator()
            state = (system.next(), system.next(), system.next(), system.next() | 1)
            seeded = true
        }
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
