import NIOCore
import NIOPosix
import TidegateLua

/// HAProxy's Lua I/O and data classes: `Socket` (`core.tcp()`), `HTTPClient` (`core.httpclient()`), `Queue`
/// (`core.queue()`) and the global `Map`.
///
/// ```swift
/// var core = try CoreModule.make(for: state, environment: environment)
/// try LuaIOBindings.register(in: state, core: &core, options: options, objectCreated: { handles.append($0) })
/// try state.setGlobal("core", module: core)
/// ```
public enum LuaIOBindings {
    /// Registers the Socket, HTTPClient, Queue and Map classes in `state`, adds `tcp`, `httpclient` and `queue` to
    /// `core` (the caller then sets `core` as a global), and sets the global `Map`.
    ///
    /// `objectCreated` receives the handle of every object made (sockets, clients, queues, maps). The engine
    /// invalidates them when their task or transaction ends: the Swift object then goes away once no coroutine
    /// waits on it, closing its connection and completing its pending waits.
    public static func register(
        in state: LuaState, core: inout LuaModule, options: LuaIOOptions,
        objectCreated: @escaping (LuaObjectHandle) -> Void
    ) throws(LuaError) {
        try self.register(
            in: state, core: &core, options: options, objectCreated: objectCreated, currentContext: { nil })
    }

    /// `register`, with `currentContext` giving the context of the running code (what `Queue:alarm()` wakes; nil
    /// outside a task, action or service).
    static func register(
        in state: LuaState, core: inout LuaModule, options: LuaIOOptions,
        objectCreated: @escaping (LuaObjectHandle) -> Void, currentContext: @escaping () -> (any LuaEventTarget)?
    ) throws(LuaError) {
        try state.register(self.socketClass)
        try state.register(self.httpClientClass)
        try state.register(self.queueClass)
        try state.register(self.mapClass)
        unowned(unsafe) let state = state

        core.function("tcp") { _ in
            guard let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop else {
                throw LuaIOError("core.tcp(): sockets are only available at runtime, on a worker thread")
            }
            let socket = LuaSocket(eventLoop: eventLoop, timeoutMilliseconds: options.socketTimeoutMilliseconds)
            let handle = try state.makeObject(socket, of: self.socketClass)
            objectCreated(handle)
            return .values([.object(handle)])
        }
        core.function("httpclient") { _ in
            let handle = try state.makeObject(LuaHTTPClient(options: options.httpClient), of: self.httpClientClass)
            objectCreated(handle)
            return .values([.object(handle)])
        }
        core.function("queue") { _ in
            let handle = try state.makeObject(LuaQueue(currentContext: currentContext), of: self.queueClass)
            objectCreated(handle)
            return .values([.object(handle)])
        }

        var map = LuaModule()
        for (name, number) in LuaMap.methodNumbers {
            map.constant("_" + name, .integer(number))
            map.constant(name, .integer(number))
        }
        map.function("new") { arguments in
            let handle = try state.makeObject(try LuaMap.make(arguments, options: options), of: self.mapClass)
            objectCreated(handle)
            return .values([.object(handle)])
        }
        try state.setGlobal("Map", module: map)
    }

    // MARK: Classes

    static let socketClass = LuaClass<LuaSocket>(
        "Socket",
        methods: [
            LuaMethod("connect", arguments: .any) { socket, arguments in try socket.connect(arguments) },
            LuaMethod("connect_ssl", arguments: 2) { socket, arguments in
                try socket.connect(arguments, secure: true)
            },
            LuaMethod("send", arguments: .any) { socket, arguments in try socket.send(arguments) },
            LuaMethod("receive", arguments: .any) { socket, arguments in try socket.receive(arguments) },
            LuaMethod("settimeout", arguments: 1) { socket, arguments in try socket.setTimeout(arguments) },
            LuaMethod("setoption", arguments: .any) { _, _ in .values([]) },
            LuaMethod("getpeername", arguments: 0) { socket, _ in try socket.peerName() },
            LuaMethod("getsockname", arguments: 0) { socket, _ in try socket.socketName() },
            LuaMethod("close", arguments: 0) { socket, _ in try socket.close() },
        ])

    static let httpClientClass = LuaClass<LuaHTTPClient>(
        "HTTPClient",
        methods: ["get", "head", "put", "post", "delete"].map { name in
            let method = name.uppercased()
            return LuaMethod(name, arguments: .any) { client, arguments in try client.send(method, arguments) }
        })

    static let queueClass = LuaClass<LuaQueue>(
        "Queue",
        methods: [
            LuaMethod("push", arguments: .any) { queue, arguments in try queue.push(arguments) },
            LuaMethod("pop", arguments: .any) { queue, _ in .values([queue.pop()]) },
            LuaMethod("pop_wait", arguments: .any) { queue, _ in try queue.popWait() },
            LuaMethod("size", arguments: .any) { queue, _ in .values([.integer(Int64(queue.count))]) },
            LuaMethod("alarm", arguments: .any) { queue, _ in .values([.boolean(queue.alarm())]) },
        ])

    static let mapClass = LuaClass<LuaMap>(
        "Map",
        methods: [
            LuaMethod("lookup", arguments: .any) { map, arguments in try map.lookup(arguments, orEmpty: false) },
            LuaMethod("slookup", arguments: .any) { map, arguments in try map.lookup(arguments, orEmpty: true) },
        ])
}
