import TidegateCore
import TidegateLua

/// The Swift side of a `TXN` object: one per transaction and state (`LuaTransaction.txnObjects`).
///
/// Methods implemented here: variables, logs, log level, priorities, `done`. `get_priv`/`set_priv` and `reply`
/// are Lua functions of the prelude (they keep Lua values by reference, which a Swift method cannot), and the
/// fields `f sf c sc req res http` are made on first access (`field(_:)`, called from the class's `__index`).
public final class LuaTXN {
    let transaction: LuaTransaction
    let runtime: LuaTXNRuntime
    /// `set_priority_class` (-2047...2047) and `set_priority_offset` (-524287...524287), clamped as HAProxy does.
    /// Stored only: the proxy has no priority queue.
    public internal(set) var priorityClass = 0
    public internal(set) var priorityOffset = 0

    init(transaction: LuaTransaction, runtime: LuaTXNRuntime) {
        self.transaction = transaction
        self.runtime = runtime
    }

    /// The direction HAProxy's `htxn->dir` would have: a response action works on the response, fetches and
    /// converters on the direction being evaluated, everything else on the request.
    var isResponse: Bool {
        switch self.transaction.context {
        case .action(let facility): facility.isResponse
        case .fetch, .converter: self.transaction.samples.direction == .response
        case .service, .task: false
        }
    }

    static let luaClass = LuaClass<LuaTXN>(
        "TXN",
        methods: [
            // Hidden (removed from the method table by the prelude): lazy fields and the class check of Lua methods.
            LuaMethod("__field", arguments: 1) { (txn: LuaTXN, arguments) in
                guard case .string(let key)? = arguments.first else { return .values([.nil]) }
                return .values([try txn.field(String(decoding: key, as: UTF8.self))])
            },
            LuaMethod("__is_http", arguments: 0) { (txn: LuaTXN, _) in
                .values([.boolean(txn.transaction.isHTTP)])
            },
            LuaMethod("set_var", arguments: .between(2...3)) { (txn: LuaTXN, arguments) in
                try txn.setVariable(LuaArguments(arguments, function: "set_var", firstPosition: 2))
            },
            LuaMethod("get_var", arguments: 1) { (txn: LuaTXN, arguments) in
                let name = try LuaArguments(arguments, function: "get_var", firstPosition: 2).string(0)
                guard let variable = txn.runtime.variableName(name),
                    let value = txn.transaction.samples.variable(variable)
                else { return .values([.nil]) }
                return .values([value.luaValue(options: txn.transaction.options)])
            },
            LuaMethod("unset_var", arguments: 1) { (txn: LuaTXN, arguments) in
                let name = try LuaArguments(arguments, function: "unset_var", firstPosition: 2).string(0)
                guard let variable = txn.runtime.variableName(name) else { return .values([false]) }
                txn.transaction.samples.setVariable(variable, to: nil)
                return .values([true])
            },
            LuaMethod("log", arguments: 2) { (txn: LuaTXN, arguments) in
                let checked = LuaArguments(arguments, function: "log", firstPosition: 2)
                let level = try checked.integer(0)
                let message = try checked.string(1)
                guard (0...7).contains(level) else { throw LuaArgumentError.bad(1, "log", "Invalid loglevel.") }
                txn.transaction.log(Int(level), CoreModule.sanitize(message))
                return .values([])
            },
            LuaMethod("deflog", arguments: 1) { (txn: LuaTXN, arguments) in
                let message = try LuaArguments(arguments, function: "deflog", firstPosition: 2).string(0)
                txn.transaction.log(txn.defaultLogLevel, CoreModule.sanitize(message))
                return .values([])
            },
            logMethod("Debug", level: 7),
            logMethod("Info", level: 6),
            logMethod("Warning", level: 4),
            logMethod("Alert", level: 1),
            LuaMethod("set_loglevel", arguments: 1) { (txn: LuaTXN, arguments) in
                let level = try LuaArguments(arguments, function: "set_loglevel", firstPosition: 2).integer(0)
                guard (-1...7).contains(level) else {
                    throw LuaArgumentError.bad(
                        2, "set_loglevel",
                        "Bad log level. It must be one of the following value: core.silent(-1), core.emerg(0), "
                            + "core.alert(1), core.crit(2), core.error(3), core.warning(4), core.notice(5), "
                            + "core.info(6) or core.debug(7)")
                }
                txn.transaction.logLevel = Int(level)
                txn.transaction.samples.logSilenced = level == -1
                return .values([])
            },
            LuaMethod("set_priority_class", arguments: 1) { (txn: LuaTXN, arguments) in
                let value = try LuaArguments(arguments, function: "set_priority_class", firstPosition: 2).integer(0)
                txn.priorityClass = Int(min(max(value, -0x7ff), 0x7ff))
                return .values([])
            },
            LuaMethod("set_priority_offset", arguments: 1) { (txn: LuaTXN, arguments) in
                let value = try LuaArguments(arguments, function: "set_priority_offset", firstPosition: 2).integer(0)
                txn.priorityOffset = Int(min(max(value, -0xfffff), 0xfffff))
                return .values([])
            },
            LuaMethod("done", arguments: .any) { (txn: LuaTXN, arguments) in
                txn.done(reply: arguments.first)
            },
        ])

    private static func logMethod(_ name: String, level: Int) -> LuaMethod<LuaTXN> {
        LuaMethod(name, arguments: 1) { (txn: LuaTXN, arguments) in
            let message = try LuaArguments(arguments, function: name, firstPosition: 2).string(0)
            txn.transaction.log(level, CoreModule.sanitize(message))
            return .values([])
        }
    }

    /// `deflog`: the level `set_loglevel` chose, else info.
    var defaultLogLevel: Int {
        if let level = self.transaction.logLevel, level >= 0 { return level }
        return 6
    }

    /// `txn:set_var(name, value[, ifexist])`: true when stored. An invalid name stores nothing and gives false (as
    /// HAProxy's `vars_set_by_name`); `ifexist` only replaces a variable that has a value.
    func setVariable(_ arguments: LuaArguments) throws -> LuaFunctionResult {
        let name = try arguments.string(0)
        guard let variable = self.runtime.variableName(name) else { return .values([false]) }
        let samples = self.transaction.samples
        if arguments.count == 3, Self.isTrue(arguments.values[2]), samples.variable(variable) == nil {
            return .values([false])
        }
        samples.setVariable(variable, to: arguments.values[1].haproxySample)
        return .values([true])
    }

    /// `lua_toboolean`.
    static func isTrue(_ value: LuaValue) -> Bool {
        switch value {
        case .nil, .boolean(false): false
        default: true
        }
    }

    /// `txn:done([reply])`: records how the transaction ends, then stops the Lua code with `doneMarker`.
    /// From a fetch or a converter (HAProxy's `HLUA_TXN_NOTERM`) it only stops the code, as `core.done()`.
    func done(reply: LuaValue?) -> LuaFunctionResult {
        switch self.transaction.context {
        case .fetch, .converter:
            break
        case .action, .service, .task:
            if self.transaction.isHTTP, case .table(let table)? = reply {
                let minor = self.transaction.samples.request?.versionMinor ?? 1
                self.transaction.ending = .reply(LuaReply.localResponse(table, httpVersionMinor: minor))
            } else {
                self.transaction.ending = .silent
            }
        }
        return .error(LuaTransaction.doneMarker)
    }

    /// Makes the object of a lazy field (nil for `http` outside HTTP mode, and for unknown keys).
    func field(_ key: String) throws(LuaError) -> LuaValue {
        let object: LuaValue
        switch key {
        case "f", "sf":
            object = try LuaTXNBindings.makeFetches(
                transaction: self.transaction, runtime: self.runtime, stringsOnly: key == "sf", mayUseHTTP: true)
        case "c", "sc":
            object = try LuaTXNBindings.makeConverters(
                transaction: self.transaction, runtime: self.runtime, stringsOnly: key == "sc")
        case "req", "res":
            object = try LuaTXNBindings.make(
                LuaChannel(transaction: self.transaction, isResponse: key == "res"), of: LuaChannel.luaClass,
                transaction: self.transaction, runtime: self.runtime)
        case "http":
            guard self.transaction.isHTTP else { return .nil }
            object = try LuaTXNBindings.make(
                LuaHTTP(txn: self), of: LuaHTTP.luaClass, transaction: self.transaction, runtime: self.runtime)
        default:
            return .nil
        }
        return object
    }
}
