import Testing

@testable import TidegateLua

@Suite struct LuaEngineTests {
    private func run(_ state: LuaState, _ chunk: String, name: String = "test", arguments: [LuaValue] = []) throws
        -> LuaResumeResult
    {
        let coroutine = try LuaCoroutine(state.load(chunk: chunk, name: name))
        var result = coroutine.resume(arguments: arguments)
        while case .yielded(.forced) = result {
            result = coroutine.resume()
        }
        return result
    }

    private func finished(_ result: LuaResumeResult) -> [LuaValue]? {
        guard case .finished(let values) = result else { return nil }
        return values
    }

    private func failure(_ result: LuaResumeResult) -> LuaError? {
        guard case .failed(let error) = result else { return nil }
        return error
    }

    @Test func valuesRoundTrip() throws {
        let state = try LuaState()
        let binary: [UInt8] = [0, 1, 0, 255, 0x41, 0]
        let nested = LuaValue.table(
            LuaTable(
                array: [1, 2.5, "three", .table(LuaTable(array: [true, false]))],
                hash: ["key": .table(LuaTable(hash: ["deep": .string(binary), 42: -7])), 1.5: "float key"]
            ))
        let arguments: [LuaValue] = [.nil, 7, 7.0, .string(binary), nested, .integer(Int64.min), .number(-0.25)]
        let result = try self.run(
            state,
            """
            local n, i, f, s, t = ...
            return select('#', ...), math.type(i), math.type(f), #s, t.key.deep == s, t[4][1], ...
            """,
            arguments: arguments
        )
        let values = try #require(self.finished(result))
        #expect(Array(values.prefix(6)) == [7, "integer", "float", 6, true, true])
        #expect(Array(values.dropFirst(6)) == arguments)
    }

    @Test func swiftErrorIsCaughtByPcall() throws {
        let state = try LuaState()
        try state.setGlobal("fail") { _ in .error("boom") }
        let values = try #require(
            self.finished(try self.run(state, "local ok, err = pcall(function() fail() end)\nreturn ok, err")))
        #expect(values.count == 2)
        #expect(values.first == false)
        #expect(values.last?.stringValue == "test:1: boom")
    }

    @Test func uncaughtSwiftErrorFailsWithTraceback() throws {
        let state = try LuaState()
        try state.setGlobal("fail") { _ in throw LuaError(code: .runtime, message: "bad thing") }
        let error = try #require(self.failure(try self.run(state, "local x = 1\nfail(x)\n", name: "handler")))
        #expect(error.code == .runtime)
        #expect(error.message == "handler:2: bad thing")
        let traceback = try #require(error.traceback)
        #expect(traceback.contains("stack traceback:"))
        #expect(traceback.contains("handler:2:"))
    }

    @Test func infiniteLoopYieldsThenTimesOut() throws {
        let state = try LuaState()
        let coroutine = try LuaCoroutine(state.load(chunk: "while true do end", name: "loop"))
        coroutine.timeLimit = .milliseconds(200)
        let start = ThreadCPUClock.now()
        var forcedYields = 0
        var outcome: LuaError?
        loop: while forcedYields < 1_000_000 {
            switch coroutine.resume() {
            case .yielded(.forced): forcedYields += 1
            case .failed(let error):
                outcome = error
                break loop
            default:
                Issue.record("unexpected result")
                break loop
            }
        }
        let elapsed = ThreadCPUClock.now() - start
        let error = try #require(outcome)
        #expect(error.code == .timeout)
        #expect(error.message == "execution timeout")
        #expect(forcedYields > 1)
        #expect(elapsed >= .milliseconds(200))
        #expect(coroutine.cpuTime >= .milliseconds(200))
        #expect(coroutine.status == .failed)
    }

    @Test func nonYieldableLoopStillTimesOut() throws {
        let state = try LuaState()
        // string.gsub calls its callback without a continuation: the loop runs where Lua cannot yield, so the hook
        // only checks the time. pcall catches the first timeout; the hook then raises again at once.
        let coroutine = try LuaCoroutine(
            state.load(
                chunk: """
                    local ok, err = pcall(string.gsub, "x", "x", function() while true do end end)
                    return ok, err
                    """, name: "fetch"))
        coroutine.timeLimit = .milliseconds(200)
        let start = ThreadCPUClock.now()
        let result = coroutine.resume()
        let elapsed = ThreadCPUClock.now() - start
        let error = try #require(self.failure(result), "expected a failure, got \(result)")
        #expect(error.code == .timeout)
        #expect(elapsed >= .milliseconds(200))
    }

    @Test func allocationBombHitsMemoryLimit() throws {
        let limit = 16 * 1024 * 1024
        let state = try LuaState(maxMemory: limit)
        state.collectGarbage()
        let baseline = state.memoryInUse
        let error = try #require(
            self.failure(try self.run(state, "local t = {} for i = 1, 1e8 do t[i] = i end", name: "bomb")))
        #expect(error.code == .memory)
        #expect(state.peakMemory <= limit)
        #expect(state.peakMemory > limit / 2)
        let values = try #require(self.finished(try self.run(state, "return 6 * 7")))
        #expect(values == [42])
        state.collectGarbage()
        #expect(state.memoryInUse < baseline + 64 * 1024)
    }

    @Test func swiftFunctionYieldsRequestAndContinues() throws {
        struct Sleep { var milliseconds: Int64 }
        let state = try LuaState()
        try state.setGlobal("sleep") { arguments in
            let milliseconds = arguments.first?.integerValue ?? 0
            return .yield(request: Sleep(milliseconds: milliseconds)) { resumed in
                .values([.string(Array("woke after ".utf8) + (resumed.first?.stringValue ?? "?").utf8)])
            }
        }
        let coroutine = try LuaCoroutine(
            state.load(chunk: "local r = sleep(25)\nreturn 'got: ' .. r", name: "sleeper"))
        guard case .yielded(.request(let request)) = coroutine.resume() else {
            Issue.record("expected a request")
            return
        }
        #expect((request as? Sleep)?.milliseconds == 25)
        let values = try #require(self.finished(coroutine.resume(arguments: ["25ms"])))
        #expect(values == ["got: woke after 25ms"])
        #expect(coroutine.status == .finished)
    }

    @Test func yieldWhereNotAllowedFails() throws {
        let state = try LuaState()
        try state.setGlobal("wait") { _ in .yield(request: "never") }
        let error = try #require(
            self.failure(try self.run(state, "return string.gsub('x', 'x', function() wait() end)", name: "conv")))
        #expect(error.code == .yieldNotAllowed)
        #expect(error.message.contains("yield not allowed"))
    }

    @Test func syntaxErrorNamesChunkAndLine() throws {
        let state = try LuaState()
        let error = #expect(throws: LuaError.self) {
            _ = try state.load(chunk: "local x = 1\nlocal y = = 2\n", name: "broken.lua")
        }
        #expect(error?.code == .syntax)
        #expect(error?.message.hasPrefix("broken.lua:2:") == true)
    }

    @Test func coroutinesDoNotLeakRegistryReferences() throws {
        let state = try LuaState()
        let function = try state.load(chunk: "local t = {...} return #t", name: "short")
        _ = try #require(self.finished(try LuaCoroutine(function).resume(arguments: [1])))
        state.collectGarbage()
        let baseline = state.memoryInUse
        for i in 0..<1000 {
            let values = try #require(
                self.finished(try LuaCoroutine(function).resume(arguments: [1, 2, .integer(Int64(i))])))
            #expect(values == [3])
        }
        var suspended: [LuaCoroutine] = []
        for _ in 0..<1000 {
            suspended.append(try LuaCoroutine(function))
        }
        suspended.removeAll()
        state.collectGarbage()
        // A leaked thread costs about 1 KiB; 1000 of them would be far above this margin.
        #expect(state.memoryInUse < baseline + 64 * 1024, "baseline \(baseline), now \(state.memoryInUse)")
    }
}
