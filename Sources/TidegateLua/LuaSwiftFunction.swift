import CTidegateLua

/// A function implemented in Swift and called from Lua: it receives the arguments and tells the C trampoline
/// what to do. A thrown error is raised in Lua like `.error` with its description.
public typealias LuaSwiftFunction = ([LuaValue]) throws -> LuaFunctionResult

/// What a Swift function asks the trampoline to do.
public enum LuaFunctionResult {
    /// Return these values to Lua.
    case values([LuaValue])
    /// Raise a Lua error with this message, prefixed with the caller's `chunk:line:` (like `luaL_error`).
    case error(String)
    /// Suspend the coroutine: `LuaCoroutine.resume` returns `.yielded(.request(request))`. When the caller resumes
    /// it, `continuation` receives the resume arguments and decides again (return, raise or yield). Only the task
    /// coroutine itself can yield, and only where Lua allows it (not across a C call boundary); otherwise the call
    /// fails with `LuaError.Code.yieldNotAllowed`.
    case yield(request: Any, continuation: LuaSwiftFunction)

    /// Yield `request`, then return the resume arguments as the function's results.
    public static func yield(request: Any) -> LuaFunctionResult {
        .yield(request: request, continuation: { .values($0) })
    }
}

/// The Swift side of a registered function. Lua holds it unretained (lightuserdata); the state retains it.
final class LuaFunctionBox {
    /// A method of a `LuaClass`: the handle of `self` (checked by the C trampoline) and the arguments after it.
    typealias Method = (_ handle: UInt64, _ arguments: [LuaValue]) throws -> LuaFunctionResult

    /// A plain function gets every argument; a method the handle of `self` and the arguments after it.
    enum Body {
        case function(LuaSwiftFunction)
        case method(Method)
    }

    unowned(unsafe) let state: LuaState
    let body: Body

    init(state: LuaState, function: @escaping LuaSwiftFunction) {
        self.state = state
        self.body = .function(function)
    }

    init(state: LuaState, method: @escaping Method) {
        self.state = state
        self.body = .method(method)
    }

    /// Implements the trampoline protocol of CTidegateLua.h. Never calls a raising Lua API: values are read and
    /// pushed with non-raising calls where they can be (scalars, strings read in place), else through the protected
    /// encode/decode helpers, and errors are left on the stack for the C trampoline to raise.
    func call(_ thread: OpaquePointer, resumedBase: Int32, count: UnsafeMutablePointer<Int32>) -> Int32 {
        let top = lua_gettop(thread)
        let result: LuaFunctionResult
        if resumedBase == 0 {
            switch self.body {
            case .method(let method):
                // Read before anything can run another method.
                let handle = self.state.runtime.pointee.self_handle
                guard let arguments = self.state.values(in: thread, from: 2, to: top) else {
                    return Int32(TG_LUA_ERROR)
                }
                result = Self.run { try method(handle, arguments) }
            case .function(let function):
                guard let arguments = self.state.values(in: thread, from: 1, to: top) else {
                    return Int32(TG_LUA_ERROR)
                }
                result = Self.run { try function(arguments) }
            }
        } else {
            guard let resumed = self.state.values(in: thread, from: resumedBase, to: top) else {
                return Int32(TG_LUA_ERROR)
            }
            let continuation = self.state.running?.takeContinuation() ?? { .values($0) }
            result = Self.run { try continuation(resumed) }
        }
        return self.finish(thread, result, count: count)
    }

    private static func run(_ body: () throws -> LuaFunctionResult) -> LuaFunctionResult {
        do {
            return try body()
        } catch let error as LuaError {
            return .error(error.message)
        } catch {
            return .error("\(error)")
        }
    }

    private func finish(
        _ thread: OpaquePointer,
        _ result: LuaFunctionResult,
        count: UnsafeMutablePointer<Int32>
    ) -> Int32 {
        switch result {
        case .values(let values):
            let (status, pushed) = self.state.push(values, onto: thread)
            guard status == LUA_OK else { return Int32(TG_LUA_ERROR) }
            count.pointee = pushed
            return Int32(TG_LUA_RETURN)
        case .error(let message):
            var message = message
            _ = message.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { tg_lua_push_error(thread, $0.baseAddress, $0.count) }
            }
            return Int32(TG_LUA_ERROR)
        case .yield(let request, let continuation):
            // The C trampoline makes the final check (and raises if refused); keep the request only if it will yield.
            if let running = self.state.running, running.thread == thread, lua_isyieldable(thread) != 0 {
                running.suspend(request: request, continuation: continuation)
            }
            count.pointee = 0
            return Int32(TG_LUA_YIELD)
        }
    }
}

/// The C trampoline's callback: non-capturing, so it converts to a C function pointer.
let luaFunctionTrampoline: tg_lua_callback = { thread, context, resumedBase, count in
    Unmanaged<LuaFunctionBox>.fromOpaque(context!).takeUnretainedValue()
        .call(thread!, resumedBase: resumedBase, count: count!)
}
