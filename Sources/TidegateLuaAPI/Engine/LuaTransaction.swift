import TidegateCore
import TidegateLua

/// Options of the HAProxy API that the configuration sets (`tune.lua.*`).
public struct LuaAPIOptions: Sendable {
    /// `tune.lua.bool-sample-conversion`: false ("pre-3.1-bug", HAProxy's default) gives boolean samples to Lua
    /// as integers 0/1; true ("normal") as booleans.
    public var booleanSamples: Bool = false

    public init(booleanSamples: Bool = false) {
        self.booleanSamples = booleanSamples
    }
}

/// The Swift side of one transaction as Lua sees it: the object behind `TXN` (and behind the `f`/`sf`/`c`/`sc`,
/// variables and private data of applets). One per HTTP transaction (HAProxy: per stream), created on the first
/// Lua use and kept until the transaction ends, so `set_priv` data and the objects built for it are reused by the
/// later actions, fetches and converters of the same transaction.
public final class LuaTransaction {
    /// What kind of Lua code is running for it now (decides what may yield and what `done` does).
    public enum Context: Sendable, Equatable {
        case action(RuleFacility)
        case fetch
        case converter
        case service(ServiceMode)
        case task
    }

    /// How the Lua code asked the transaction to end (`txn:done()`, `act.*` return codes are read separately).
    public enum Ending {
        /// `txn:done()`: end the transaction with no reply (HTTP: close; TCP: close).
        case silent
        /// `txn:done(reply)`: send this response and end the transaction.
        case reply(LocalResponse)
    }

    /// The stream's sample context: addresses, the request and response heads, variables, log information.
    public let samples: SampleContext
    /// Whether the proxy runs in HTTP mode (`txn.http` exists only then).
    public let isHTTP: Bool
    /// What is running now.
    public var context: Context
    /// `txn:set_priv` data (any Lua value, kept as a registry reference when it is a table or function).
    public var priv: LuaValue = .nil
    /// Set by `txn:done()`; the running Lua code is stopped right after (see `LuaTransaction.doneMarker`).
    public var ending: Ending?
    /// The value given to `core.done(value)`: what a fetch or converter returns.
    public var doneValue: LuaValue = .nil
    /// `txn:set_loglevel`: the level of this transaction's log line, `-1` (`core.silent`) for none.
    public var logLevel: Int?
    /// Sends a log message from this transaction (`txn:log`, `txn:Info`...): a syslog level 0...7 and the text.
    public let log: (_ level: Int, _ message: String) -> Void
    public let options: LuaAPIOptions
    /// `act.wake_time(ms)` before returning `act.YIELD`: when to run the action again.
    public var wakeTime: Int?
    /// Lua objects made for this transaction (TXN, its Fetches/Converters/HTTP/Channel objects, replies...), in
    /// any state; the engine invalidates them all when the transaction ends.
    public var objects: [(state: LuaState, handle: LuaObjectHandle)] = []
    /// The TXN object of this transaction in each state (`ObjectIdentifier(state)`), built once and reused.
    public var txnObjects: [ObjectIdentifier: LuaObjectHandle] = [:]
    /// TCP mode: the request and response bytes `txn.req` / `txn.res` work on (the stream's channels, which the
    /// TCP proxy keeps in the sample context).
    public var requestChannel: LuaChannelBuffer? {
        get { self.samples.requestChannel }
        set { self.samples.requestChannel = newValue }
    }
    public var responseChannel: LuaChannelBuffer? {
        get { self.samples.responseChannel }
        set { self.samples.responseChannel = newValue }
    }

    public init(
        samples: SampleContext, isHTTP: Bool, context: Context, options: LuaAPIOptions = LuaAPIOptions(),
        log: @escaping (_ level: Int, _ message: String) -> Void
    ) {
        self.samples = samples
        self.isHTTP = isHTTP
        self.context = context
        self.options = options
        self.log = log
    }

    /// The message `txn:done()` and `core.done()` raise to unwind the Lua code; the scheduler recognises it (with
    /// `ending` set) as a normal end, not as an error.
    public static let doneMarker = "tidegate: execution done"

    /// Invalidates every object made for this transaction.
    public func releaseObjects() {
        for (state, handle) in self.objects {
            state.invalidate(handle)
        }
        self.objects.removeAll()
        self.txnObjects.removeAll()
    }
}
