import CTidegateLua

/// How many arguments a Swift function or method accepts. Checked in C before Swift runs; a wrong count raises
/// HAProxy's message, "'<name>' needs <n> arguments" (or "needs between <min> and <max> arguments" /
/// "needs at least <min> arguments").
///
/// For methods the count excludes `self`, but the message counts it as HAProxy's `check_args` does (it checks the
/// whole stack): a method declared with 2 arguments reports "'set_var' needs 3 arguments".
public struct LuaArity: Hashable, Sendable, ExpressibleByIntegerLiteral {
    public var minimum: Int
    /// nil: no maximum.
    public var maximum: Int?

    public init(minimum: Int, maximum: Int?) {
        precondition(minimum >= 0 && (maximum ?? minimum) >= minimum, "invalid arity")
        self.minimum = minimum
        self.maximum = maximum
    }

    public init(integerLiteral value: Int) {
        self.init(minimum: value, maximum: value)
    }

    public static func exactly(_ count: Int) -> LuaArity { LuaArity(minimum: count, maximum: count) }
    public static func between(_ range: ClosedRange<Int>) -> LuaArity {
        LuaArity(minimum: range.lowerBound, maximum: range.upperBound)
    }
    public static func atLeast(_ count: Int) -> LuaArity { LuaArity(minimum: count, maximum: nil) }
    /// No check.
    public static let any = LuaArity(minimum: 0, maximum: nil)

    /// The C bounds (max -1 = none), counting `extra` leading values (self).
    func bounds(extra: Int) -> (min: Int32, max: Int32) {
        (Int32(clamping: self.minimum + extra), self.maximum.map { Int32(clamping: $0 + extra) } ?? -1)
    }
}

/// A method of a `LuaClass`, implemented in Swift. `body` receives the object the handle refers to and the
/// arguments after `self`; it answers like a `LuaSwiftFunction` (values, error, or yield with a continuation).
/// Classes are shared by the states of all event loops, so the body is `@Sendable`: it reaches per-request data
/// through the object it receives.
public struct LuaMethod<Object: AnyObject>: Sendable {
    public let name: String
    public let arguments: LuaArity
    let body: @Sendable (Object, [LuaValue]) throws -> LuaFunctionResult

    public init(
        _ name: String,
        arguments: LuaArity,
        _ body: @escaping @Sendable (Object, [LuaValue]) throws -> LuaFunctionResult
    ) {
        self.name = name
        self.arguments = arguments
        self.body = body
    }
}

/// A class of Lua objects backed by Swift objects, exposed the HAProxy way: an object is a Lua table holding a
/// userdata at `[0]`, whose metatable is the class metatable (`registry[name]`, methods in its `__index`).
/// Scripts may add fields to the table. The userdata holds a handle into the state's handle table, never a
/// pointer: once `LuaState.invalidate(_:)` is called (the stream, transaction... is gone), every method call on
/// the object raises "object is no longer valid".
///
/// Register a class once per state with `LuaState.register(_:)`, then create objects with `makeObject(_:of:)`
/// and pass them to Lua as `LuaValue.object(handle)`.
public final class LuaClass<Object: AnyObject>: Sendable {
    public let name: String
    public let methods: [LuaMethod<Object>]

    public init(_ name: String, methods: [LuaMethod<Object>]) {
        self.name = name
        self.methods = methods
    }
}

/// A handle to a Swift object exposed to Lua, valid until `LuaState.invalidate(_:)`. Handles are never reused,
/// and a handle of one state is invalid in every other state.
public struct LuaObjectHandle: Hashable, Sendable {
    let state: UInt64
    let id: UInt64
}

/// An entry of a state's handle table.
struct LuaObjectSlot {
    let object: AnyObject
    let tableReference: Int32
}

extension LuaState {
    /// Creates the class metatable and its methods. A class can be registered in many states, once in each.
    public func register<Object>(_ luaClass: LuaClass<Object>) throws(LuaError) {
        let key = ObjectIdentifier(luaClass)
        guard self.classes[key] == nil else {
            throw LuaError(code: .runtime, message: "class '\(luaClass.name)' is already registered")
        }
        let top = lua_gettop(self.mainThread)
        defer { lua_settop(self.mainThread, top) }
        var classReference = LUA_NOREF
        let status = tg_lua_newclass(self.mainThread, luaClass.name, &classReference)
        guard status == LUA_OK else {
            throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
        }
        self.classes[key] = (luaClass, classReference)
        for method in luaClass.methods {
            let body = method.body
            let box = LuaFunctionBox(state: self) { [unowned(unsafe) self] (handle: UInt64, arguments) in
                // The C checks made sure argument 1 is an object table of this class, and `makeObject` files only
                // objects of the class in its handles: no dynamic cast needed.
                guard let slot = self.objects.slot(handle) else {
                    return .error("object is no longer valid")
                }
                return try body(unsafeDowncast(slot.object, to: Object.self), arguments)
            }
            let (min, max) = method.arguments.bounds(extra: 1)
            let status = tg_lua_class_add_method(
                self.mainThread, classReference, method.name, luaFunctionTrampoline,
                Unmanaged.passUnretained(box).toOpaque(), min, max)
            guard status == LUA_OK else {
                throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
            }
            self.functions.append(box)
        }
    }

    /// Creates the Lua object (table + userdata) for `object` and returns its handle. The state keeps `object`
    /// and the table alive until `invalidate(_:)`.
    public func makeObject<Object>(_ object: Object, of luaClass: LuaClass<Object>) throws(LuaError)
        -> LuaObjectHandle
    {
        guard let registered = self.classes[ObjectIdentifier(luaClass)] else {
            throw LuaError(code: .runtime, message: "class '\(luaClass.name)' is not registered in this state")
        }
        let top = lua_gettop(self.mainThread)
        defer { lua_settop(self.mainThread, top) }
        let id = self.objects.reserve()
        var tableReference = LUA_NOREF
        let status = tg_lua_newobject(self.mainThread, registered.reference, id, &tableReference)
        guard status == LUA_OK else {
            self.objects.release(id)
            throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
        }
        self.objects.fill(id, object: object, tableReference: tableReference)
        return LuaObjectHandle(state: self.identifier, id: id)
    }

    /// Ends the handle's life: releases the Swift object and the state's anchor of the table. Tables the scripts
    /// kept stay alive, but their method calls raise "object is no longer valid", and pushing the handle pushes nil.
    public func invalidate(_ handle: LuaObjectHandle) {
        guard handle.state == self.identifier, let slot = self.objects.remove(handle.id) else { return }
        self.unreference(slot.tableReference)
    }

    /// Whether `handle` has not been invalidated.
    public func isValid(_ handle: LuaObjectHandle) -> Bool {
        handle.state == self.identifier && self.objects.slot(handle.id) != nil
    }

    /// The Swift object behind a valid handle.
    public func object<Object: AnyObject>(_ handle: LuaObjectHandle, as type: Object.Type = Object.self) -> Object? {
        guard handle.state == self.identifier else { return nil }
        return self.objects.slot(handle.id)?.object as? Object
    }

    /// Number of live handles (for leak checks).
    public var liveObjectCount: Int { self.objects.count }

    func objectTableReference(_ handle: LuaObjectHandle) -> Int32? {
        guard handle.state == self.identifier else { return nil }
        return self.objects.slot(handle.id)?.tableReference
    }
}

extension LuaState {
    /// Sets `object[name] = value` on an object's table (HAProxy's objects carry attributes such as `txn.f` or
    /// `applet.method`). Does nothing for an invalidated handle.
    public func setObjectField(_ name: String, of handle: LuaObjectHandle, to value: LuaValue) throws(LuaError) {
        guard let reference = self.objectTableReference(handle) else { return }
        let top = lua_gettop(self.mainThread)
        defer { lua_settop(self.mainThread, top) }
        let (status, _) = self.push([value], onto: self.mainThread)
        guard status == LUA_OK else {
            throw LuaError(code: LuaState.code(forStatus: status), message: self.errorMessage(above: top))
        }
        let setStatus = tg_lua_setfield(self.mainThread, reference, name)
        guard setStatus == LUA_OK else {
            throw LuaError(code: LuaState.code(forStatus: setStatus), message: "cannot set '\(name)'")
        }
    }
}
