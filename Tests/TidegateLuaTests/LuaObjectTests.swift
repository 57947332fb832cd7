import Foundation
import Testing

@testable import TidegateLua

/// Classes and objects, module tables, run-to-completion calls and function references.
@Suite struct LuaObjectTests {
    final class Transaction {
        var variables: [String: LuaValue] = [:]
    }

    struct Sleep { var milliseconds: Int64 }

    private static let transactionClass = LuaClass<Transaction>(
        "TXN",
        methods: [
            LuaMethod("set_var", arguments: 2) { txn, arguments in
                txn.variables[arguments[0].stringValue ?? ""] = arguments[1]
                return .values([])
            },
            LuaMethod("get_var", arguments: 1) { txn, arguments in
                .values([txn.variables[arguments[0].stringValue ?? ""] ?? .nil])
            },
            LuaMethod("count", arguments: .between(0...1)) { txn, arguments in
                .values([.integer(Int64(txn.variables.count)), arguments.first ?? "none"])
            },
            LuaMethod("sleep", arguments: 1) { txn, arguments in
                let milliseconds = arguments[0].integerValue ?? 0
                return .yield(request: Sleep(milliseconds: milliseconds)) { resumed in
                    txn.variables["slept"] = .integer(milliseconds)
                    return .values([resumed.first ?? .nil, .integer(Int64(txn.variables.count))])
                }
            },
        ])

    private func makeState() throws -> (LuaState, Transaction, LuaObjectHandle) {
        let state = try LuaState()
        try state.register(Self.transactionClass)
        let txn = Transaction()
        let handle = try state.makeObject(txn, of: Self.transactionClass)
        return (state, txn, handle)
    }

    private func finish(_ coroutine: LuaCoroutine, _ arguments: [LuaValue] = []) -> LuaResumeResult {
        var result = coroutine.resume(arguments: arguments)
        while case .yielded(.forced) = result {
            result = coroutine.resume()
        }
        return result
    }

    private func values(_ result: LuaResumeResult) -> [LuaValue]? {
        guard case .finished(let values) = result else { return nil }
        return values
    }

    @Test func methodCallReturnsValuesAndMutatesTheSwiftObject() throws {
        let (state, txn, handle) = try self.makeState()
        let function = try state.load(
            chunk: """
                local txn = ...
                txn:set_var("req.user", "alice")
                txn.note = "scripts may add fields"
                local n1, a1 = txn:count()
                local n2, a2 = txn:count("x")
                return txn:get_var("req.user"), n1, a1, n2, a2, getmetatable(txn).__name, txn.note, type(txn[0])
                """, name: "action")
        let values = try #require(self.values(self.finish(try LuaCoroutine(function), [.object(handle)])))
        #expect(values == ["alice", 1, "none", 1, "x", "TXN", "scripts may add fields", "userdata"])
        #expect(txn.variables["req.user"] == "alice")
        #expect(state.object(handle, as: Transaction.self) === txn)
    }

    @Test func objectKeepsIdentityAndComesBackAsItsHandle() throws {
        let (state, _, handle) = try self.makeState()
        let function = try state.load(chunk: "local a, b = ... return a == b, a", name: "identity")
        let values = try #require(
            self.values(self.finish(try LuaCoroutine(function), [.object(handle), .object(handle)])))
        #expect(values == [true, .object(handle)])
    }

    @Test func wrongArityRaisesHAProxyMessage() throws {
        let (state, _, handle) = try self.makeState()
        let function = try state.load(
            chunk: """
                local txn = ...
                local ok1, e1 = pcall(txn.set_var, txn, "only-one")
                local ok2, e2 = pcall(function() return txn.get_var("dot-call") end)
                local ok3, e3 = pcall(txn.count, txn, 1, 2)
                local ok4, e4 = pcall(txn.get_var, {}, "x")
                return ok1, e1, ok2, e2, ok3, e3, ok4, e4
                """, name: "arity")
        let values = try #require(self.values(self.finish(try LuaCoroutine(function), [.object(handle)])))
        #expect(values.count == 8)
        #expect(values[0] == false)
        // Called straight from pcall (a C function), the error has no position, as with luaL_error.
        #expect(values[1].stringValue == "'set_var' needs 3 arguments")
        #expect(values[2] == false)
        #expect(values[3].stringValue == "arity:3: 'get_var' needs 2 arguments")
        #expect(values[4] == false)
        #expect(values[5].stringValue == "'count' needs between 1 and 2 arguments")
        #expect(values[6] == false)
        #expect(values[7].stringValue?.contains("TXN expected, got table") == true, "\(values[7])")
    }

    @Test func invalidatedObjectRaisesNoLongerValid() throws {
        let (state, _, handle) = try self.makeState()
        let function = try state.load(
            chunk: """
                local txn = ...
                local before = txn:count()
                coroutine.yield()
                local ok, err = pcall(txn.get_var, txn, "x")
                return before, ok, err
                """, name: "stale")
        let coroutine = try LuaCoroutine(function)
        guard case .yielded(.script) = self.finish(coroutine, [.object(handle)]) else {
            Issue.record("expected a script yield")
            return
        }
        state.invalidate(handle)
        #expect(!state.isValid(handle))
        #expect(state.liveObjectCount == 0)
        let values = try #require(self.values(self.finish(coroutine)))
        #expect(values == [0, false, "object is no longer valid"])
        // An invalidated handle is pushed as nil.
        #expect(try state.run(chunk: "return (...) == nil", name: "nil", arguments: [.object(handle)]) == [true])
    }

    @Test func staleTableNeverReachesTheObjectThatReusesItsSlot() throws {
        let (state, _, handle) = try self.makeState()
        let keep = try state.load(chunk: "kept = ...", name: "keep")
        _ = try keep.call([.object(handle)])
        state.invalidate(handle)
        // The next object takes the freed slot under a new generation.
        let next = Transaction()
        next.variables["x"] = "new"
        let nextHandle = try state.makeObject(next, of: Self.transactionClass)
        #expect(nextHandle != handle && state.isValid(nextHandle) && !state.isValid(handle))
        let values = try state.run(
            chunk: """
                local ok, err = pcall(kept.get_var, kept, "x")
                return ok, err, (...):get_var("x")
                """, name: "stale", arguments: [.object(nextHandle)])
        #expect(values == [false, "object is no longer valid", "new"])
        #expect(state.liveObjectCount == 1)
    }

    @Test func methodYieldsRequestAndContinues() throws {
        let (state, txn, handle) = try self.makeState()
        let coroutine = try LuaCoroutine(
            state.load(
                chunk: "local txn = ... local r, n = txn:sleep(25) return 'woke: ' .. r, n", name: "sleeper"))
        guard case .yielded(.request(let request)) = self.finish(coroutine, [.object(handle)]) else {
            Issue.record("expected a request")
            return
        }
        #expect((request as? Sleep)?.milliseconds == 25)
        let values = try #require(self.values(coroutine.resume(arguments: ["timer"])))
        #expect(values == ["woke: timer", 1])
        #expect(txn.variables["slept"] == 25)
    }

    @Test func classIsRegisteredOncePerState() throws {
        let (state, _, _) = try self.makeState()
        #expect(throws: LuaError.self) { try state.register(Self.transactionClass) }
        let other = LuaClass<Transaction>("TXN", methods: [])
        #expect(throws: LuaError.self) { try state.register(other) }
        #expect(throws: LuaError.self) { _ = try state.makeObject(Transaction(), of: other) }
        // The same class in another state is fine.
        let second = try LuaState()
        try second.register(Self.transactionClass)
        // A handle of another state is not valid here, and pushes nil.
        let foreign = try state.makeObject(Transaction(), of: Self.transactionClass)
        for _ in 0..<3 {
            _ = try second.makeObject(Transaction(), of: Self.transactionClass)  // the same numbers exist there
        }
        #expect(!second.isValid(foreign))
        #expect(try second.run(chunk: "return (...) == nil", name: "nil", arguments: [.object(foreign)]) == [true])
    }

    @Test func moduleTableWithNestedTableAndConstants() throws {
        let state = try LuaState()
        var logged: [(Int64, String)] = []
        var core = LuaModule()
        for (index, name) in ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"].enumerated() {
            core.constant(name, .integer(Int64(index)))
        }
        core.function("log", arguments: 2) { arguments in
            logged.append((arguments[0].integerValue ?? -1, arguments[1].stringValue ?? ""))
            return .values([])
        }
        core.function("Info", arguments: 1) { arguments in
            logged.append((6, arguments[0].stringValue ?? ""))
            return .values([])
        }
        core.function("now", arguments: 0) { _ in
            .values([.table(LuaTable(hash: ["sec": 1_700_000_000, "usec": 250]))])
        }
        var nested = LuaModule()
        nested.constant("name", "tidegate")
        nested.function("twice") { arguments in .values([.integer((arguments.first?.integerValue ?? 0) * 2)]) }
        core.table("meta", nested)
        try state.setGlobal("core", module: core)
        try state.setGlobal("answer", value: 42)

        let values = try state.run(
            chunk: """
                core.log(core.warning, "careful")
                core.Info("hello")
                local ok, err = pcall(core.log, "only one")
                local t = core.now()
                return core.emerg, core.debug, t.sec, t.usec, core.meta.name, core.meta.twice(21), answer, ok, err
                """, name: "init")
        #expect(values == [0, 7, 1_700_000_000, 250, "tidegate", 42, 42, false, "'log' needs 2 arguments"])
        #expect(logged.map(\.0) == [4, 6])
        #expect(logged.map(\.1) == ["careful", "hello"])
    }

    @Test func runRefusesYields() throws {
        let state = try LuaState()
        try state.setGlobal("sleep") { _ in .yield(request: "timer") }
        let error = #expect(throws: LuaError.self) { try state.run(chunk: "sleep(1)", name: "init") }
        #expect(error?.code == .yieldNotAllowed)
        #expect(error?.message.contains("yield not allowed") == true)
        let scripted = #expect(throws: LuaError.self) { try state.run(chunk: "coroutine.yield(1)", name: "init") }
        #expect(scripted?.code == .yieldNotAllowed)
        let failed = #expect(throws: LuaError.self) { try state.run(chunk: "local x = nil\nreturn x.y", name: "init") }
        #expect(failed?.code == .runtime)
        #expect(failed?.message.hasPrefix("init:2:") == true)
        #expect(failed?.traceback?.contains("stack traceback:") == true)
        // A long loop runs to completion: no forced yield.
        #expect(try state.run(chunk: "local n = 0 for i = 1, 100000 do n = n + 1 end return n", name: "loop") == [100_000])
    }

    @Test func registeredFunctionIsCalledLaterInACoroutine() throws {
        let (state, txn, handle) = try self.makeState()
        var actions: [String: LuaFunctionReference] = [:]
        var core = LuaModule()
        core.function("register_action", arguments: .between(3...4)) { arguments in
            guard let name = arguments[0].stringValue, let function = arguments[2].functionValue else {
                return .error("bad arguments to 'register_action'")
            }
            #expect(arguments[1] == .table(LuaTable(array: ["http-req"])))
            actions[name] = function
            return .values([])
        }
        try state.setGlobal("core", module: core)
        try state.run(
            chunk: """
                local prefix = "hello "
                core.register_action("greet", { "http-req" }, function(txn, who)
                    txn:set_var("greeting", prefix .. who)
                    return txn:sleep(5)
                end)
                """, name: "script.lua")
        let action = try #require(actions["greet"])
        for round in 0..<3 {
            let coroutine = try LuaCoroutine(action)
            guard case .yielded(.request) = coroutine.resume(arguments: [.object(handle), "bob"]) else {
                Issue.record("expected the action to sleep")
                return
            }
            let values = try #require(self.values(coroutine.resume(arguments: [.integer(Int64(round))])))
            #expect(values == [.integer(Int64(round)), 2])
        }
        #expect(txn.variables["greeting"] == "hello bob")
        // A function reference passed back to Lua is the same function.
        #expect(try state.run(chunk: "return type(...)", name: "back", arguments: [.function(action)]) == ["function"])
    }

    @Test func functionReferencesAndObjectsDoNotLeak() throws {
        let (state, _, _) = try self.makeState()
        var kept: [LuaFunctionReference] = []
        try state.setGlobal("register") { arguments in
            if let function = arguments.last?.functionValue {
                kept.append(function)
            }
            return .values([])
        }
        let script = try state.load(
            chunk: "for i = 1, 100 do local n = i register('f' .. i, function(x) return x + n end) end",
            name: "register")
        _ = try script.call()
        kept.removeAll()
        state.collectGarbage()
        let baseline = state.memoryInUse
        for _ in 0..<50 {
            _ = try script.call()
            #expect(kept.count == 100)
            #expect(try kept[41].call([1]) == [43])
            kept.removeAll()
            let handle = try state.makeObject(Transaction(), of: Self.transactionClass)
            #expect(try state.run(chunk: "return (...):count()", name: "o", arguments: [.object(handle)]) == [0, "none"])
            state.invalidate(handle)
        }
        state.collectGarbage()
        // 5000 leaked closures (plus registry slots) would be far above this margin.
        #expect(state.memoryInUse < baseline + 64 * 1024, "baseline \(baseline), now \(state.memoryInUse)")
        #expect(state.liveObjectCount == 1)

        // A result that fails to convert after a function was referenced releases that reference.
        let failing = try state.load(
            chunk: "local t = {} return function() return t end, coroutine.create(print)", name: "mixed")
        #expect(throws: LuaError.self) { _ = try failing.call() }
        state.collectGarbage()
        let before = state.memoryInUse
        for _ in 0..<5000 {
            #expect(throws: LuaError.self) { _ = try failing.call() }
        }
        state.collectGarbage()
        #expect(state.memoryInUse < before + 64 * 1024, "before \(before), now \(state.memoryInUse)")
    }

    @Test func functionReferenceDroppedOnAnotherThreadIsReleasedLater() throws {
        let state = try LuaState()
        let box = UncheckedBox(try state.run(chunk: "return function() return 1 end", name: "f"))
        #expect(box.values?.first?.functionValue != nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.drop()
            done.signal()
        }
        thread.start()
        done.wait()
        // The other thread did not touch the state: the reference is queued, then freed on the state's thread.
        #expect(state.orphanedReferences.withLock { $0.count } == 1)
        state.collectGarbage()
        #expect(state.orphanedReferences.withLock { $0.isEmpty })
    }
}

private final class UncheckedBox: @unchecked Sendable {
    var values: [LuaValue]?
    init(_ values: [LuaValue]) { self.values = values }
    func drop() { self.values = nil }
}
