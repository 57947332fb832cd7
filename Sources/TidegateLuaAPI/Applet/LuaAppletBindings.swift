import NIOCore
import TidegateConfig
import TidegateCore
import TidegateLua

/// The `AppletHTTP` and `AppletTCP` classes (HAProxy's service objects).
enum LuaAppletBindings {
    /// `luaL_checklstring` on the method's argument `index` (0-based after `self`).
    private static func bytes(_ values: [LuaValue], _ index: Int, _ function: String) throws(LuaArgumentError) -> [UInt8] {
        try LuaArguments(values, function: function, firstPosition: 2).string(index)
    }

    /// `luaL_optinteger`: nil when absent or nil.
    private static func integer(_ values: [LuaValue], _ index: Int, _ function: String) throws(LuaArgumentError) -> Int? {
        guard index < values.count, values[index] != .nil else { return nil }
        return Int(clamping: try LuaArguments(values, function: function, firstPosition: 2).integer(index))
    }

    static let common: [LuaMethod<LuaApplet>] = [
        // Hidden by `LuaAppletPrelude`: builds the `f sf c sc` fields on first access.
        LuaMethod(LuaAppletPrelude.fieldMethod, arguments: 1) { applet, values in
            guard case .string(let key)? = values.first, let runtime = applet.txnRuntime else { return .values([.nil]) }
            let stringsOnly = key.first == UInt8(ascii: "s")
            switch key.last {
            case UInt8(ascii: "f"):
                return .values([
                    try LuaTXNBindings.makeFetches(
                        transaction: applet.transaction, runtime: runtime, stringsOnly: stringsOnly, mayUseHTTP: false)
                ])
            case UInt8(ascii: "c"):
                return .values([
                    try LuaTXNBindings.makeConverters(
                        transaction: applet.transaction, runtime: runtime, stringsOnly: stringsOnly)
                ])
            default:
                return .values([.nil])
            }
        },
        LuaMethod("send", arguments: 1) { applet, values in applet.send(try bytes(values, 0, "send")) },
        LuaMethod("getline", arguments: 0) { applet, _ in applet.getline() },
        LuaMethod("get_priv", arguments: 0) { applet, _ in .values([applet.transaction.priv]) },
        LuaMethod("set_priv", arguments: 1) { applet, values in
            applet.transaction.priv = values[0]
            return .values([])
        },
        LuaMethod("get_var", arguments: 1) { applet, values in
            guard let name = values[0].stringValue, case .success(let variable) = VariableName.parse(name) else {
                return .values([.nil])
            }
            let value = applet.transaction.samples.variable(variable)
            return .values([value?.luaValue(options: applet.transaction.options) ?? .nil])
        },
        LuaMethod("set_var", arguments: .between(2...3)) { applet, values in
            guard let name = values[0].stringValue, case .success(let variable) = VariableName.parse(name) else {
                return .error("bad argument #2 to 'set_var' (invalid variable name)")
            }
            if values.count == 3, values[2] == .boolean(true), applet.transaction.samples.variable(variable) == nil {
                return .values([false])
            }
            applet.transaction.samples.setVariable(variable, to: values[1].sample?.detached())
            return .values([true])
        },
        LuaMethod("unset_var", arguments: 1) { applet, values in
            guard let name = values[0].stringValue, case .success(let variable) = VariableName.parse(name) else {
                return .values([false])
            }
            applet.transaction.samples.setVariable(variable, to: nil)
            return .values([true])
        },
    ]

    static let httpClass = LuaClass<LuaApplet>(
        "AppletHTTP",
        methods: common + [
            LuaMethod("receive", arguments: .between(0...1)) { applet, values in
                applet.receive(size: try integer(values, 0, "receive"), timeout: nil)
            },
            LuaMethod("set_status", arguments: .between(1...2)) { applet, values in
                guard let code = try integer(values, 0, "set_status"), (100...599).contains(code) else {
                    return .error("bad argument #2 to 'set_status' (invalid status code)")
                }
                applet.status = code
                applet.reason = values.count == 2 ? values[1].stringValue : nil
                return .values([])
            },
            LuaMethod("add_header", arguments: 2) { applet, values in
                let name = String(decoding: try bytes(values, 0, "add_header"), as: UTF8.self)
                let value = String(decoding: try bytes(values, 1, "add_header"), as: UTF8.self)
                guard !name.isEmpty, !(name + value).contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                    return .error("add_header: invalid header name or value")
                }
                applet.headers.append((name, value))
                return .values([])
            },
            LuaMethod("start_response", arguments: 0) { applet, _ in
                applet.startResponse()
                return .values([])
            },
            // Hidden by the prelude: the request attributes, made on first access.
            LuaMethod(LuaAppletPrelude.attributesMethod, arguments: 0) { applet, _ in
                .values(attributes(of: applet))
            },
        ])

    static let tcpClass = LuaClass<LuaApplet>(
        "AppletTCP",
        methods: common + [
            LuaMethod("receive", arguments: .between(0...2)) { applet, values in
                let size = try integer(values, 0, "receive")
                let timeout = try integer(values, 1, "receive").map { TimeAmount.milliseconds(Int64(max($0, 0))) }
                return applet.receive(size: size, timeout: timeout)
            },
            LuaMethod("try_receive", arguments: 0) { applet, _ in applet.tryReceive() },
        ])

    static func register(in state: LuaState) throws(LuaError) {
        try state.register(self.httpClass)
        try state.register(self.tcpClass)
        try state.run(chunk: LuaAppletPrelude.source, name: LuaAppletPrelude.name)
    }

    /// Builds the applet object. The HTTP attributes (`method`, `version`, `path`, `qs`, `length`, 0-indexed
    /// `headers`) are filled on first access (see `LuaAppletPrelude`).
    static func makeObject(for applet: LuaApplet, in state: LuaState) throws(LuaError) -> LuaObjectHandle {
        if applet.txnRuntime == nil { applet.txnRuntime = try LuaTXNRuntime.of(state) }
        let handle = try state.makeObject(applet, of: applet.mode == .http ? self.httpClass : self.tcpClass)
        applet.transaction.objects.append((state, handle))
        return handle
    }

    /// HAProxy's AppletHTTP attributes, in `LuaAppletPrelude.attributes` order.
    static func attributes(of applet: LuaApplet) -> [LuaValue] {
        guard let request = applet.transaction.samples.request else { return [] }
        let version = request.versionString
        let length = request.firstValue(named: "content-length").flatMap { Int64($0) } ?? 0
        var lists: [String: [LuaValue: LuaValue]] = [:]
        for index in request.fields.indices {
            let name = request.name(at: index).lowercased()
            lists[name, default: [:]].withCountedInsert(LuaValue(request.value(at: index)))
        }
        var headers: [LuaValue: LuaValue] = [:]
        for (name, values) in lists {
            headers[LuaValue(name)] = .table(LuaTable(hash: values))
        }
        return [
            LuaValue(request.method),
            LuaValue(version.hasPrefix("HTTP/") ? String(version.dropFirst(5)) : version),
            LuaValue(request.path),
            LuaValue(request.query ?? ""),
            .integer(length),
            .table(LuaTable(hash: headers)),
        ]
    }
}

extension Dictionary where Key == LuaValue, Value == LuaValue {
    /// Adds `value` at the next 0-based integer key (HAProxy's header value lists start at 0).
    fileprivate mutating func withCountedInsert(_ value: LuaValue) {
        self[.integer(Int64(self.count))] = value
    }
}
