import NIOCore
import TidegateLua

/// A yield request (`LuaFunctionResult.yield(request:continuation:)`) asking the scheduler to resume the coroutine
/// when `future` completes, on the coroutine's event loop. The continuation receives the future's values; a failed
/// future resumes it with `nil` and the error's description (the LuaSocket convention), so bindings map failures
/// to values and never raise from a callback.
///
/// ```swift
/// return .yield(request: LuaAwait(connectFuture), continuation: { values in .values(values) })
/// ```
public struct LuaAwait {
    public let future: EventLoopFuture<[LuaValue]>

    public init(_ future: EventLoopFuture<[LuaValue]>) {
        self.future = future
    }
}
