#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a `core` function asks the scheduler for when it yields (`LuaYieldReason.request`). The scheduler fulfils
/// it, then resumes the coroutine (with no arguments; resume values are ignored).
public enum CoreRequest: Hashable, Sendable {
    /// `core.sleep(s)` / `core.msleep(ms)`: wake up after this many milliseconds.
    case sleep(milliseconds: Int64)
    /// `core.yield()`: give the hand back and be rescheduled at once.
    case yield
    /// `core.wait([ms])`: give the hand back without being rescheduled; wake up on an event of the running context
    /// (see the engine), or after this many milliseconds when given.
    case wait(milliseconds: Int64?)
}

/// What `core` needs from the proxy. One per Lua state (a state belongs to one thread).
public struct CoreEnvironment {
    /// `core.thread`: the executing thread number from 1, 0 for the shared (lua-load) state.
    public var thread: Int
    /// Receives `core.log`, `core.Debug/Info/Warning/Alert` messages: a syslog level (0 emerg ... 7 debug) and the
    /// message, cut at its first NUL with non-printable bytes replaced by `.` as HAProxy does.
    public var log: (_ level: Int, _ message: String) -> Void
    /// `core.now()`: the current time as seconds and microseconds since the epoch.
    public var now: () -> (seconds: Int64, microseconds: Int64)
    /// Called with each object `core` creates (`core.concat()`, `core.parse_addr()`, `Regex.new()`). Objects live
    /// in the state's handle table until `LuaState.invalidate(_:)`; the engine has no garbage-collection hook, so
    /// a runtime context that creates them should collect the handles and invalidate them when it ends.
    public var objectCreated: ((LuaObjectHandle) -> Void)?

    public init(
        thread: Int = 0,
        log: @escaping (_ level: Int, _ message: String) -> Void = { _, _ in },
        now: @escaping () -> (seconds: Int64, microseconds: Int64) = CoreEnvironment.systemTime,
        objectCreated: ((LuaObjectHandle) -> Void)? = nil
    ) {
        self.thread = thread
        self.log = log
        self.now = now
        self.objectCreated = objectCreated
    }

    /// `gettimeofday`.
    public static func systemTime() -> (seconds: Int64, microseconds: Int64) {
        var time = timeval()
        gettimeofday(&time, nil)
        return (Int64(time.tv_sec), Int64(time.tv_usec))
    }
}

/// HAProxy's global `core` table (the functions not tied to proxies, registrations or sockets) and the global
/// `Regex` class.
///
/// ```swift
/// try CoreModule.install(in: state, environment: CoreEnvironment(thread: 1, log: { level, message in ... }))
/// ```
public enum CoreModule {
    /// Syslog levels, as `core.emerg` ... `core.debug`.
    public static let levelNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    public static let concatClass = LuaClass<LuaConcatBuffer>(
        "Concat",
        methods: [
            LuaMethod("add", arguments: .any) { (buffer: LuaConcatBuffer, arguments) in
                buffer.append(try LuaArguments(arguments, function: "add", firstPosition: 2).string(0))
                return .values([])
            },
            LuaMethod("dump", arguments: .any) { (buffer: LuaConcatBuffer, _) in
                .values([.string(buffer.bytes)])
            },
        ])

    public static let regexClass = LuaClass<LuaRegex>(
        "Regex",
        methods: [
            LuaMethod("exec", arguments: .any) { (regex: LuaRegex, arguments) in
                let subject = try LuaArguments(arguments, function: "exec", firstPosition: 2).string(0)
                return .values([.boolean(regex.exec(subject))])
            },
            LuaMethod("match", arguments: .any) { (regex: LuaRegex, arguments) in
                let subject = try LuaArguments(arguments, function: "match", firstPosition: 2).string(0)
                guard let captures = regex.match(subject) else {
                    return .values([false, .table(LuaTable())])
                }
                return .values([true, .table(LuaTable(array: captures.map { .string($0) }))])
            },
        ])

    /// The class of `core.parse_addr` results (HAProxy returns a bare userdata; here it is an object table).
    public static let addressClass = LuaClass<LuaNetworkAddress>("Addr", methods: [])

    /// Registers the classes in `state`, then sets globals `core` and `Regex`.
    public static func install(in state: LuaState, environment: CoreEnvironment) throws(LuaError) {
        let module = try self.make(for: state, environment: environment)
        try state.setGlobal("core", module: module)
        try state.setGlobal("Regex", module: self.makeRegex(for: state, environment: environment))
    }

    /// Sets the global `Regex` (after `make(for:environment:)` registered its class).
    public static func installRegex(in state: LuaState, environment: CoreEnvironment = CoreEnvironment()) throws(LuaError) {
        try state.setGlobal("Regex", module: self.makeRegex(for: state, environment: environment))
    }

    /// Registers the classes in `state` and builds the `core` table (to extend before `setGlobal`).
    public static func make(for state: LuaState, environment: CoreEnvironment) throws(LuaError) -> LuaModule {
        try state.register(self.concatClass)
        try state.register(self.regexClass)
        try state.register(self.addressClass)
        return self.makeCore(for: state, environment: environment)
    }

    private static func makeCore(for state: LuaState, environment: CoreEnvironment) -> LuaModule {
        unowned(unsafe) let state = state
        var core = LuaModule()
        for (level, name) in self.levelNames.enumerated() {
            core.constant(name, .integer(Int64(level)))
        }
        core.constant("silent", -1)
        core.constant("thread", .integer(Int64(environment.thread)))

        // Logging.
        let log = environment.log
        core.function("log") { values in
            let arguments = LuaArguments(values, function: "log")
            try arguments.requireCount(2)
            let level = try arguments.integer(0)
            let message = try arguments.string(1)
            guard (0..<Int64(self.levelNames.count)).contains(level) else {
                throw LuaArgumentError.bad(1, "log", "Invalid loglevel.")
            }
            log(Int(level), self.sanitize(message))
            return .values([])
        }
        for (function, name, level) in [
            ("Debug", "debug", 7), ("Info", "info", 6), ("Warning", "warning", 4), ("Alert", "alert", 1),
        ] {
            core.function(function) { values in
                let arguments = LuaArguments(values, function: name)
                try arguments.requireCount(1)
                log(level, self.sanitize(try arguments.string(0)))
                return .values([])
            }
        }

        // Time.
        let now = environment.now
        core.function("now") { _ in
            let (seconds, microseconds) = now()
            return .values([.table(LuaTable(hash: ["sec": .integer(seconds), "usec": .integer(microseconds)]))])
        }
        for (name, parse) in [
            ("http_date", HTTPDate.parse), ("imf_date", HTTPDate.parseIMF),
            ("rfc850_date", HTTPDate.parseRFC850), ("asctime_date", HTTPDate.parseAsctime),
        ] as [(String, ([UInt8]) -> Int64?)] {
            core.function(name) { values in
                let text = try LuaArguments(values, function: name).string(0)
                return .values([parse(text).map(LuaValue.integer) ?? .nil])
            }
        }

        // Yields (fulfilled by the scheduler).
        core.function("sleep") { values in
            let arguments = LuaArguments(values, function: "sleep")
            try arguments.requireCount(1)
            let seconds = max(try arguments.integer(0), 0)
            let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            return self.yield(.sleep(milliseconds: overflow ? Int64.max : milliseconds))
        }
        core.function("msleep") { values in
            let arguments = LuaArguments(values, function: "msleep")
            try arguments.requireCount(1)
            return self.yield(.sleep(milliseconds: max(try arguments.integer(0), 0)))
        }
        core.function("yield") { _ in self.yield(.yield) }
        core.function("wait", arguments: .between(0...1)) { values in
            guard !values.isEmpty else { return self.yield(.wait(milliseconds: nil)) }
            let milliseconds = try LuaArguments(values, function: "wait").integer(0)
            return self.yield(.wait(milliseconds: max(milliseconds, 0)))
        }

        // Strings.
        core.function("tokenize") { values in
            let arguments = LuaArguments(values, function: "tokenize")
            let text = try arguments.string(0)
            let separators = try arguments.string(1)
            var noBlank = false
            if arguments.count == 3 {
                guard case .boolean(let flag) = values[2] else {
                    throw LuaArgumentError.bad(3, "tokenize", "boolean expected")
                }
                noBlank = flag
            }
            let tokens = self.tokenize(text, separators: separators, noBlank: noBlank)
            return .values([.table(LuaTable(array: tokens.map { .string($0) }))])
        }
        let objectCreated = environment.objectCreated
        core.function("concat") { _ in
            let handle = try state.makeObject(LuaConcatBuffer(), of: self.concatClass)
            objectCreated?(handle)
            return .values([.object(handle)])
        }

        // Addresses.
        core.function("parse_addr") { values in
            let text = try LuaArguments(values, function: "parse_addr").string(0)
            guard let address = LuaNetworkAddress.parse(text) else { return .values([.nil]) }
            let handle = try state.makeObject(address, of: self.addressClass)
            objectCreated?(handle)
            return .values([.object(handle)])
        }
        core.function("match_addr") { values in
            guard values.count >= 2, case .object(let first) = values[0], case .object(let second) = values[1],
                let a = state.object(first, as: LuaNetworkAddress.self),
                let b = state.object(second, as: LuaNetworkAddress.self)
            else { return .values([false]) }
            return .values([.boolean(a.matches(b))])
        }
        return core
    }

    /// The global `Regex` table: `Regex.new(pattern, case_sensitive)` → `true, regex` or `false, reason`.
    private static func makeRegex(for state: LuaState, environment: CoreEnvironment) -> LuaModule {
        unowned(unsafe) let state = state
        let objectCreated = environment.objectCreated
        var module = LuaModule()
        module.function("new") { values in
            let pattern = try LuaArguments(values, function: "new").string(0)
            guard values.count >= 2, case .boolean(let caseSensitive) = values[1] else {
                // luaL_argcheck with no message, as HAProxy calls it.
                throw LuaArgumentError.bad(2, "new", "(null)")
            }
            guard let regex = LuaRegex(pattern: pattern, caseSensitive: caseSensitive) else {
                return .values([false, .string(Array("regex '".utf8) + pattern + Array("' is invalid".utf8))])
            }
            let handle = try state.makeObject(regex, of: self.regexClass)
            objectCreated?(handle)
            return .values([true, .object(handle)])
        }
        return module
    }

    // MARK: Helpers

    private static func yield(_ request: CoreRequest) -> LuaFunctionResult {
        .yield(request: request, continuation: { _ in .values([]) })
    }

    /// HAProxy's `hlua_sendlog` clean-up: the message ends at its first NUL; non-printable bytes become `.`.
    public static func sanitize(_ message: [UInt8]) -> String {
        String(
            decoding: message.prefix { $0 != 0 }.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: ".") },
            as: UTF8.self)
    }

    /// HAProxy's `hlua_tokenize`: every byte of `separators` ends a token; the text's end ends the last one.
    /// With `noBlank`, empty tokens are dropped. Both strings end at their first NUL (C strings).
    static func tokenize(_ text: [UInt8], separators: [UInt8], noBlank: Bool) -> [[UInt8]] {
        let text = text.prefix { $0 != 0 }
        let separators = Set(separators.prefix { $0 != 0 })
        var tokens: [[UInt8]] = []
        var start = text.startIndex
        for index in text.indices where separators.contains(text[index]) {
            if !noBlank || index > start {
                tokens.append(Array(text[start..<index]))
            }
            start = index + 1
        }
        if !noBlank || text.endIndex > start {
            tokens.append(Array(text[start..<text.endIndex]))
        }
        return tokens
    }
}
