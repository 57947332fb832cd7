import Testing

@testable import TidegateLua

/// HAProxy's `core` table (first part) and the global `Regex` class.
@Suite struct CoreModuleTests {
    final class Recorder {
        var logs: [(level: Int, message: String)] = []
        var handles: [LuaObjectHandle] = []
    }

    private func makeState(thread: Int = 3) throws -> (LuaState, Recorder) {
        let state = try LuaState()
        let recorder = Recorder()
        let environment = CoreEnvironment(
            thread: thread,
            log: { level, message in recorder.logs.append((level, message)) },
            now: { (1_700_000_000, 123_456) },
            objectCreated: { recorder.handles.append($0) })
        try CoreModule.install(in: state, environment: environment)
        return (state, recorder)
    }

    /// Resumes through forced yields; stops at a request, a script yield, the end or a failure.
    private func step(_ coroutine: LuaCoroutine, _ arguments: [LuaValue] = []) -> LuaResumeResult {
        var result = coroutine.resume(arguments: arguments)
        while case .yielded(.forced) = result {
            result = coroutine.resume()
        }
        return result
    }

    private func request(_ result: LuaResumeResult) -> CoreRequest? {
        guard case .yielded(.request(let request)) = result else { return nil }
        return request as? CoreRequest
    }

    private func strings(_ value: LuaValue) -> [String]? {
        guard case .table(let table) = value, table.hash.isEmpty else { return nil }
        return table.array.map { $0.stringValue ?? "<\($0)>" }
    }

    // MARK: Constants and logs

    @Test func levelConstantsAndThread() throws {
        let (state, _) = try self.makeState(thread: 3)
        let values = try state.run(
            chunk: """
                return core.emerg, core.alert, core.crit, core.err, core.warning, core.notice, core.info,
                    core.debug, core.silent, core.thread, math.type(core.thread)
                """, name: "constants")
        #expect(values == [0, 1, 2, 3, 4, 5, 6, 7, -1, 3, "integer"])
        let (shared, _) = try self.makeState(thread: 0)
        #expect(try shared.run(chunk: "return core.thread", name: "t") == [0])
    }

    @Test func logSinkReceivesLevelAndMessage() throws {
        let (state, recorder) = try self.makeState()
        try state.run(
            chunk: """
                core.log(core.warning, "careful")
                core.log(core.emerg, 42)
                core.log("6", "level given as a numeric string")
                core.Debug("d")
                core.Info("i")
                core.Warning("w")
                core.Alert("a")
                core.Info("tab\\there\\0cut")
                core.Info("caf\\xc3\\xa9")
                """, name: "log")
        #expect(recorder.logs.map(\.level) == [4, 0, 6, 7, 6, 4, 1, 6, 6])
        #expect(
            recorder.logs.map(\.message) == [
                "careful", "42", "level given as a numeric string", "d", "i", "w", "a", "tab.here", "caf..",
            ])
    }

    @Test func logArgumentErrors() throws {
        let (state, recorder) = try self.makeState()
        let values = try state.run(
            chunk: """
                local results = {}
                local function try(f, ...)
                    local ok, err = pcall(f, ...)
                    results[#results + 1] = ok and "ok" or err
                end
                try(core.log, 8, "x")
                try(core.log, -1, "x")
                try(core.log, core.silent, "x")
                try(core.log, "x")
                try(core.log, 1, "x", 3)
                try(core.log, "abc", "x")
                try(core.log, 1.5, "x")
                try(core.log, 1, {})
                try(core.log, 1, nil)
                try(core.Info)
                try(core.Debug, "a", "b")
                try(core.Warning)
                try(core.Alert, {})
                local ok, positioned = pcall(function() core.log(99, "x") end)
                results[#results + 1] = positioned
                return table.unpack(results)
                """, name: "errors")
        #expect(
            values.map { $0.stringValue ?? "" } == [
                "bad argument #1 to 'log' (Invalid loglevel.)",
                "bad argument #1 to 'log' (Invalid loglevel.)",
                "bad argument #1 to 'log' (Invalid loglevel.)",
                "'log' needs 2 arguments",
                "'log' needs 2 arguments",
                "bad argument #1 to 'log' (number expected, got string)",
                "bad argument #1 to 'log' (number has no integer representation)",
                "bad argument #2 to 'log' (string expected, got table)",
                "bad argument #2 to 'log' (string expected, got nil)",
                "'info' needs 1 arguments",
                "'debug' needs 1 arguments",
                "'warning' needs 1 arguments",
                "bad argument #1 to 'alert' (string expected, got table)",
                "errors:19: bad argument #1 to 'log' (Invalid loglevel.)",
            ])
        #expect(recorder.logs.isEmpty)
    }

    // MARK: Time and dates

    @Test func nowReturnsSecondsAndMicroseconds() throws {
        let (state, _) = try self.makeState()
        let values = try state.run(chunk: "local t = core.now() return t.sec, t.usec, math.type(t.sec)", name: "now")
        #expect(values == [1_700_000_000, 123_456, "integer"])
        // The default clock is the system's.
        let real = try LuaState()
        try CoreModule.install(in: real, environment: CoreEnvironment())
        let seconds = try #require(try real.run(chunk: "return core.now().sec", name: "now").first?.integerValue)
        #expect(seconds > 1_700_000_000)
    }

    @Test func httpDatesParseTheThreeFormats() throws {
        let (state, _) = try self.makeState()
        let values = try state.run(
            chunk: """
                local imf, rfc850, asctime = "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                    "Sun Nov  6 08:49:37 1994"
                return core.imf_date(imf), core.rfc850_date(rfc850), core.asctime_date(asctime),
                    core.http_date(imf), core.http_date(rfc850), core.http_date(asctime),
                    math.type(core.http_date(imf))
                """, name: "dates")
        #expect(values == [784_111_777, 784_111_777, 784_111_777, 784_111_777, 784_111_777, 784_111_777, "integer"])
    }

    @Test func httpDatesRejectMalformedInput() throws {
        let (state, _) = try self.makeState()
        let invalid = [
            "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ",
            " Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT", "Sunday, 06 Nov 1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94", "", "784111777",
        ]
        for text in invalid {
            let values = try state.run(
                chunk: """
                    local s = ...
                    return core.http_date(s), core.imf_date(s), core.rfc850_date(s), core.asctime_date(s)
                    """,
                name: "invalid", arguments: [.string(Array(text.utf8))])
            #expect(values == [nil, nil, nil, nil], "\(text)")
        }
        // Each specific parser accepts only its own format.
        let crossed = try state.run(
            chunk: """
                return core.imf_date("Sunday, 06-Nov-94 08:49:37 GMT"), core.rfc850_date("Sun Nov  6 08:49:37 1994"),
                    core.asctime_date("Sun, 06 Nov 1994 08:49:37 GMT")
                """, name: "crossed")
        #expect(crossed == [nil, nil, nil])
        // Two-digit years pivot at 60 (00-60 are 20xx), four digits are accepted; leap days; the day name is not
        // checked against the date.
        let years = try state.run(
            chunk: """
                return core.rfc850_date("Thursday, 01-Jan-70 00:00:00 GMT"),
                    core.rfc850_date("Monday, 01-Jan-60 00:00:00 GMT"),
                    core.rfc850_date("Monday, 01-Jan-61 00:00:00 GMT"),
                    core.rfc850_date("Sunday, 06-Nov-1994 08:49:37 GMT"),
                    core.rfc850_date("Sunday, 06-Nov-199 08:49:37 GMT"),
                    core.imf_date("Thu, 29 Feb 2024 23:59:59 GMT"),
                    core.imf_date("Mon, 06 Nov 1994 08:49:37 GMT"),
                    core.asctime_date("Wed Dec 31 23:59:59 1969")
                """, name: "years")
        #expect(years == [0, 2_840_140_800, -283_996_800, 784_111_777, nil, 1_709_251_199, 784_111_777, -1])
        let error = try state.run(
            chunk: "local ok, err = pcall(core.http_date) return ok, err, core.http_date(19941106)", name: "e")
        #expect(error == [false, "bad argument #1 to 'http_date' (string expected, got no value)", nil])
    }

    // MARK: tokenize

    @Test func tokenizeSplitsOnEverySeparatorByte() throws {
        let (state, _) = try self.makeState()
        let cases: [(String, [String])] = [
            (#"core.tokenize("a,b,,c", ",")"#, ["a", "b", "", "c"]),
            (#"core.tokenize("a,b,,c", ",", true)"#, ["a", "b", "c"]),
            (#"core.tokenize("a,b,,c", ",", false)"#, ["a", "b", "", "c"]),
            (#"core.tokenize("a b;c  d", " ;")"#, ["a", "b", "c", "", "d"]),
            (#"core.tokenize(",a,", ",")"#, ["", "a", ""]),
            (#"core.tokenize(",a,", ",", true)"#, ["a"]),
            (#"core.tokenize("", ",")"#, [""]),
            (#"core.tokenize("", ",", true)"#, []),
            (#"core.tokenize(",,,", ",", true)"#, []),
            (#"core.tokenize("abc", "")"#, ["abc"]),
            (#"core.tokenize("a=1&b=2", "=&")"#, ["a", "1", "b", "2"]),
            // A 4th argument: noblank is read only when there are exactly 3.
            (#"core.tokenize("a,,b", ",", true, "extra")"#, ["a", "", "b"]),
            // Numbers are converted like luaL_checkstring does.
            (#"core.tokenize(10203, 0)"#, ["1", "2", "3"]),
            // C strings: the text ends at the first NUL.
            (#"core.tokenize("a,b\0,c", ",")"#, ["a", "b"]),
        ]
        for (expression, expected) in cases {
            let values = try state.run(chunk: "return \(expression)", name: "tokenize")
            #expect(values.count == 1)
            #expect(self.strings(values[0]) == expected, "\(expression)")
        }
        let errors = try state.run(
            chunk: """
                local _, e1 = pcall(core.tokenize, "a,b", ",", "yes")
                local _, e2 = pcall(core.tokenize, "a,b")
                local _, e3 = pcall(core.tokenize, nil, ",")
                return e1, e2, e3
                """, name: "errors")
        #expect(
            errors == [
                "bad argument #3 to 'tokenize' (boolean expected)",
                "bad argument #2 to 'tokenize' (string expected, got no value)",
                "bad argument #1 to 'tokenize' (string expected, got nil)",
            ])
    }

    // MARK: Addresses

    @Test func parseAddrAndMatchAddr() throws {
        let (state, _) = try self.makeState()
        let values = try state.run(
            chunk: """
                local p, m = core.parse_addr, core.match_addr
                local net = p("192.168.1.0/24")
                return
                    m(net, p("192.168.1.77")), m(p("192.168.1.77"), net), m(net, p("192.168.2.1")),
                    m(p("10.0.0.0/8"), p("10.1.0.0/16")), m(p("10.0.0.0/255.0.0.0"), p("10.200.3.4")),
                    m(p("10.0.0.1"), p("10.0.0.2")), m(p("10.0.0.1"), p("10.0.0.1")),
                    m(p("0.0.0.0/0"), p("8.8.8.8")),
                    m(p("2001:db8::/32"), p("2001:db8:1234::1")), m(p("2001:db8::/32"), p("2001:db9::1")),
                    m(p("::1"), p("::1/128")), m(p("::/0"), p("fe80::1")), m(p("2001:db8::1"), p("2001:db8::2")),
                    m(p("::ffff:10.0.0.1"), p("10.0.0.1")), m(p("0.0.0.0/0"), p("::/0")),
                    m(net, {}), m(net, "192.168.1.1"), m(net, core.concat()),
                    type(net)
                """, name: "addr")
        #expect(
            values == [
                true, true, false,
                true, true,
                false, true,
                true,
                true, false,
                true, true, false,
                false, false,
                false, false, false,
                "table",
            ])
        let invalid = try state.run(
            chunk: """
                local p = core.parse_addr
                return p("300.1.1.1") == nil, p("1.2.3.4/33") == nil, p("1.2.3.4/") == nil, p("1.2.3.4/x") == nil,
                    p("::1/129") == nil, p("localhost") == nil, p("") == nil, p("1.2.3") == nil,
                    p("1.2.3.4/32") ~= nil, p("::/0") ~= nil, p("1.2.3.4/255.255.0.0") ~= nil,
                    select("#", p("nope"))
                """, name: "invalid")
        #expect(invalid == [true, true, true, true, true, true, true, true, true, true, true, 1])
        let error = try state.run(chunk: "return select(2, pcall(core.parse_addr))", name: "e")
        #expect(error == ["bad argument #1 to 'parse_addr' (string expected, got no value)"])
    }

    @Test func networkAddressMasks() throws {
        let network = try #require(LuaNetworkAddress.parse(Array("172.16.0.0/12".utf8)))
        #expect(network.family == .ipv4)
        #expect(network.address == [172, 16, 0, 0])
        #expect(network.mask == [255, 240, 0, 0])
        let v6 = try #require(LuaNetworkAddress.parse(Array("2001:db8::/33".utf8)))
        #expect(v6.family == .ipv6)
        #expect(Array(v6.mask.prefix(6)) == [255, 255, 255, 255, 128, 0])
        #expect(try #require(LuaNetworkAddress.parse(Array("172.31.255.255".utf8))).matches(network))
        #expect(try !#require(LuaNetworkAddress.parse(Array("172.32.0.0".utf8))).matches(network))
    }

    // MARK: Concat

    @Test func concatBuildsAString() throws {
        let (state, _) = try self.makeState()
        let values = try state.run(
            chunk: """
                local c = core.concat()
                local empty = c:dump()
                c:add("hello")
                c:add(", ")
                c:add("world ")
                c:add(42)
                c:add("\\0bin")
                local n = select("#", c:add(""))
                local other = core.concat()
                other:add("x")
                local _, err = pcall(c.add, c, {})
                local _, missing = pcall(c.add, c)
                local _, wrongSelf = pcall(c.add, {}, "x")
                return empty, c:dump(), other:dump(), n, err, missing, wrongSelf ~= nil, getmetatable(c).__name
                """, name: "concat")
        #expect(values.count == 8)
        #expect(values[0] == "")
        #expect(values[1] == .string(Array("hello, world 42".utf8) + [0] + Array("bin".utf8)))
        #expect(values[2] == "x")
        #expect(values[3] == 0)
        #expect(values[4] == "bad argument #2 to 'add' (string expected, got table)")
        #expect(values[5] == "bad argument #2 to 'add' (string expected, got no value)")
        #expect(values[6] == true)
        #expect(values[7] == "Concat")
    }

    @Test func createdObjectsAreReportedAndCanBeReleased() throws {
        let (state, recorder) = try self.makeState()
        let baseline = state.liveObjectCount
        try state.run(
            chunk: """
                core.concat() core.parse_addr('1.2.3.4') core.parse_addr('bad')
                Regex.new('a', true) Regex.new('(', true)
                """,
            name: "objects")
        #expect(recorder.handles.count == 3)
        #expect(state.liveObjectCount == baseline + 3)
        for handle in recorder.handles {
            state.invalidate(handle)
        }
        #expect(state.liveObjectCount == baseline)
    }

    // MARK: Regex

    @Test func regexExecAndMatch() throws {
        let (state, _) = try self.makeState()
        let values = try state.run(
            chunk: """
                local ok, re = Regex.new("([a-z]+)-([0-9]+)", true)
                local okI, reI = Regex.new("^HELLO", false)
                local okS, reS = Regex.new("^HELLO", true)
                local matched, captures = re:match("id: abc-123!")
                local missed, none = re:match("nothing here")
                local alt, altCaptures = Regex.new("(a)|(b)", true)
                local _, partial = altCaptures:match("b")
                return ok, re:exec("xx abc-1"), re:exec("ABC-1"), reI:exec("hello world"), reS:exec("hello world"),
                    reS:exec("HELLO"), matched, captures, missed, none, partial
                """, name: "regex")
        #expect(values.count == 11)
        #expect(Array(values.prefix(7)) == [true, true, false, true, false, true, true])
        #expect(self.strings(values[7]) == ["abc-123", "abc", "123"])
        #expect(values[8] == false)
        #expect(values[9] == .table(LuaTable()))
        // A group that did not take part ends the list (HAProxy stops at the first rm_so == -1).
        #expect(self.strings(values[10]) == ["b"])
    }

    @Test func regexErrors() throws {
        let (state, _) = try self.makeState()
        let values = try state.run(
            chunk: """
                local ok, reason = Regex.new("(unclosed", true)
                local _, e1 = pcall(Regex.new, "a")
                local _, e2 = pcall(Regex.new, "a", "yes")
                local _, e3 = pcall(Regex.new, nil, true)
                local _, re = Regex.new("a", true)
                local _, e4 = pcall(re.exec, re)
                local _, e5 = pcall(re.match, re, {})
                return ok, reason, e1, e2, e3, e4, e5, re:exec(string.rep("a", 20000))
                """, name: "regex")
        #expect(
            values == [
                false, "regex '(unclosed' is invalid",
                "bad argument #2 to 'new' ((null))",
                "bad argument #2 to 'new' ((null))",
                "bad argument #1 to 'new' (string expected, got nil)",
                "bad argument #2 to 'exec' (string expected, got no value)",
                "bad argument #2 to 'match' (string expected, got table)",
                // Longer than HAProxy's trash buffer: never matches.
                false,
            ])
    }

    // MARK: Yields

    @Test func sleepAndYieldSuspendWithARequestThenContinue() throws {
        let (state, recorder) = try self.makeState()
        let coroutine = try LuaCoroutine(
            state.load(
                chunk: """
                    core.Info("before")
                    local n = select("#", core.msleep(25))
                    core.Info("after msleep " .. n)
                    core.sleep(2)
                    core.yield()
                    core.msleep(-5)
                    return "done"
                    """, name: "task"))
        #expect(self.request(self.step(coroutine)) == .sleep(milliseconds: 25))
        #expect(recorder.logs.map(\.message) == ["before"])
        // Resume values are not returned to the script.
        #expect(self.request(self.step(coroutine, ["ignored"])) == .sleep(milliseconds: 2000))
        #expect(recorder.logs.map(\.message) == ["before", "after msleep 0"])
        #expect(self.request(self.step(coroutine)) == .yield)
        #expect(self.request(self.step(coroutine)) == .sleep(milliseconds: 0))
        guard case .finished(let values) = self.step(coroutine) else {
            Issue.record("expected the task to finish")
            return
        }
        #expect(values == ["done"])
    }

    @Test func sleepArgumentErrors() throws {
        let (state, _) = try self.makeState()
        let coroutine = try LuaCoroutine(
            state.load(
                chunk: """
                    local _, e1 = pcall(core.sleep)
                    local _, e2 = pcall(core.msleep, 1, 2)
                    local _, e3 = pcall(core.msleep, "soon")
                    local _, e4 = pcall(core.sleep, 0.5)
                    return e1, e2, e3, e4
                    """, name: "sleep"))
        guard case .finished(let values) = self.step(coroutine) else {
            Issue.record("expected the errors to be caught")
            return
        }
        #expect(
            values == [
                "'sleep' needs 1 arguments", "'msleep' needs 1 arguments",
                "bad argument #1 to 'msleep' (number expected, got string)",
                "bad argument #1 to 'sleep' (number has no integer representation)",
            ])
    }

    @Test func waitSuspendsWithAnOptionalDelay() throws {
        let (state, _) = try self.makeState()
        let coroutine = try LuaCoroutine(
            state.load(
                chunk: """
                    local n = select("#", core.wait())
                    core.wait(250)
                    core.wait(-3)
                    local _, e1 = pcall(core.wait, 1, 2)
                    local _, e2 = pcall(core.wait, "soon")
                    return n, e1, e2
                    """, name: "wait"))
        #expect(self.request(self.step(coroutine)) == .wait(milliseconds: nil))
        #expect(self.request(self.step(coroutine, ["ignored"])) == .wait(milliseconds: 250))
        #expect(self.request(self.step(coroutine)) == .wait(milliseconds: 0))
        guard case .finished(let values) = self.step(coroutine) else {
            Issue.record("expected the coroutine to finish")
            return
        }
        #expect(
            values == [
                0, "'wait' needs between 0 and 1 arguments",
                "bad argument #1 to 'wait' (number expected, got string)",
            ])
    }

    @Test func yieldsFailWhereYieldingIsNotAllowed() throws {
        let (state, _) = try self.makeState()
        for call in ["core.sleep(1)", "core.msleep(10)", "core.yield()", "core.wait()", "core.wait(5)"] {
            let error = #expect(throws: LuaError.self) { try state.run(chunk: call, name: "init") }
            #expect(error?.code == .yieldNotAllowed, "\(call)")
            #expect(error?.message.contains("yield not allowed") == true, "\(call): \(error?.message ?? "")")
        }
        // Not across a C call boundary either (a table.sort comparator), even in a task coroutine.
        let coroutine = try LuaCoroutine(
            state.load(chunk: "table.sort({3, 1, 2}, function(a, b) core.yield() return a < b end)", name: "sort"))
        guard case .failed(let error) = self.step(coroutine) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .yieldNotAllowed)
    }
}
