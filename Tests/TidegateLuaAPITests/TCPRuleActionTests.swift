import Foundation
import NIOCore
import NIOPosix
import Testing
import TidegateConfig
import TidegateCore
import TidegateHTTP
import TidegateLua
import TidegateLuaAPI

/// `tcp-request content lua.<name>` and TCP services run by the real engine on a real event loop, without sockets:
/// the proxy's part (the rule set, the channels, the wake-ups, the service I/O) is played by the test.
@Suite("Lua in TCP rules and services", .timeLimit(.minutes(1)))
struct TCPRuleActionTests {
    static let script = """
        core.register_action("firstline", {"tcp-req"}, function(txn)
          local line = txn.req:line()
          txn:set_var("txn.line", line)
          if line:sub(1, 3) == "BAD" then return act.DENY end
        end)
        core.register_action("nap", {"tcp-req"}, function(txn)
          core.msleep(50)
          txn:set_var("txn.napped", 1)
        end)
        core.register_action("fail", {"tcp-req"}, function(txn) error("failing on purpose") end)
        core.register_action("done", {"tcp-req", "tcp-res"}, function(txn) return act.DONE end)
        core.register_action("greet", {"tcp-req"}, function(txn)
          txn.res:send("hi\\n")
          txn:set_var("txn.forwarded", txn.req:forward(2))
        end)
        core.register_action("shout", {"tcp-res"}, function(txn)
          local data = txn.res:data()
          txn.res:set(txn.sc:upper(data))
        end)
        -- act.YIELD forever, counting its runs; the same with act.wake_time(30).
        core.register_action("yieldy", {"tcp-req"}, function(txn)
          local runs = (txn:get_priv() or 0) + 1
          txn:set_priv(runs)
          txn:set_var("txn.runs", runs)
          return act.YIELD
        end)
        core.register_action("later", {"tcp-req"}, function(txn)
          if txn:get_priv() then txn:set_var("txn.later", "again") return end
          txn:set_priv(true)
          act.wake_time(30)
          return act.YIELD
        end)
        core.register_action("waiter", {"tcp-req"}, function(txn)
          core.wait()
          txn:set_var("txn.woke", "yes")
        end)
        core.register_service("hello", "tcp", function(applet)
          local line = applet:getline()
          applet:send("src=" .. applet.sf:src() .. " line=" .. applet.sc:upper(line))
          local rest = applet:receive()
          applet:send("rest=" .. rest)
        end)
        core.register_service("fields", "http", function(applet)
          local ok, err = pcall(function() return applet.f:req_hdr("host") end)
          applet:start_response()
          applet:send(applet.f:src() .. " " .. applet.c:lower("AB") .. " " .. tostring(ok) .. " " .. err)
        end)
        core.register_service("crash", "tcp", function(applet)
          applet:send("partial")
          error("service failing on purpose")
        end)
        """

    /// The engine, one loop runtime, and a stream's sample context with its two channels. Confined to the loop.
    final class Stream {
        let engine: LuaEngine
        let context: SampleContext
        let environment: SampleCompileEnvironment
        var wakes = 0
        var wakeWaiter: EventLoopPromise<Void>?
        let log: LogBox

        final class LogBox: @unchecked Sendable {
            var lines: [String] = []
        }

        init(engine: LuaEngine, environment: SampleCompileEnvironment, log: LogBox, loop: any EventLoop) {
            self.engine = engine
            self.environment = environment
            self.log = log
            self.context = SampleContext(
                frontendName: "fe", clientAddress: try! SocketAddress(ipAddress: "192.0.2.7", port: 4000),
                processVariables: ProcessVariables())
            self.context.scriptHost = LuaLoopRuntime(engine: engine, eventLoop: loop, index: 0, loopCount: 1)
            self.context.requestChannel = ChannelBuffer()
            self.context.responseChannel = ChannelBuffer()
            self.context.wake = { [unowned self] in
                self.wakes += 1
                self.wakeWaiter?.succeed()
                self.wakeWaiter = nil
            }
        }

        /// The rule set of `actions`, compiled once (a suspended action is recognised by its rule's identity).
        func rules(_ actions: [String], facility: RuleFacility = .tcpRequest) throws -> TCPRuleSet {
            let key = actions.joined(separator: ",")
            if let compiled = self.compiled[key] { return compiled }
            let compiled = try self.compile(actions, facility: facility)
            self.compiled[key] = compiled
            return compiled
        }
        private var compiled: [String: TCPRuleSet] = [:]

        private func compile(_ actions: [String], facility: RuleFacility) throws -> TCPRuleSet {
            TCPRuleSet(
                rules: try actions.map { action in
                    let words = action.split(separator: " ").map(String.init)
                    let rule = TCPRule(
                        action: words[0] == "reject" ? .reject : .custom(name: words[0], arguments: []),
                        location: ConfigLocation(file: "t.cfg", line: 1))
                    return try TCPRuleProgram.compile(
                        rule, acls: ACLSet(), environment: self.environment, facility: facility
                    ).get()
                }, facility: facility)
        }

        /// Evaluates the rule set of `actions` (from its first rule, `resuming` a suspended one) and answers its
        /// verdict followed by the value of `txn.<variable>`.
        func apply(_ actions: [String], resuming: Bool = false, final: Bool = false, then variable: String) throws
            -> String
        {
            let verdict = try self.rules(actions).apply(in: self.context, from: 0, resuming: resuming, final: final)
            return "\(verdict) \(self.variable(variable) ?? "nil")"
        }

        func variable(_ name: String) -> String? {
            self.context.variable(VariableName(scope: .transaction, name: name))?.stringValue
        }

        var request: ChannelBuffer { self.context.requestChannel! }
        var response: ChannelBuffer { self.context.responseChannel! }
    }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var loop: any EventLoop { self.group.next() }

    func withStream<T: Sendable>(_ body: (_ on: Runner) async throws -> T) async throws -> T {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tg-tcplua-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("tcp.lua").path
        try Self.script.write(toFile: path, atomically: true, encoding: .utf8)
        let (configuration, problems) = LuaEngineConfiguration.parse([
            ConfigDirective(words: ["lua-load-per-thread", path], location: ConfigLocation(file: "t.cfg", line: 1))
        ])
        #expect(problems.isEmpty)
        let log = Stream.LogBox()
        let engine = try LuaEngine(
            configuration: configuration, loopCount: 1, environment: .standard,
            log: { _, message in log.lines.append(message) })
        var compileEnvironment = SampleCompileEnvironment.standard
        engine.addSampleKeywords(to: &compileEnvironment)
        let environment = compileEnvironment
        let loop = self.loop
        let stream = try await loop.submit {
            NIOLoopBound(Stream(engine: engine, environment: environment, log: log, loop: loop), eventLoop: loop)
        }.get()
        let result = try await body(Runner(stream: stream, loop: loop))
        try await loop.submit { stream.value.context.endScriptState() }.get()
        try await self.group.shutdownGracefully()
        return result
    }

    /// Runs closures on the stream's loop.
    struct Runner: Sendable {
        let stream: NIOLoopBound<Stream>
        let loop: any EventLoop

        func callAsFunction<T: Sendable>(_ body: @escaping @Sendable (Stream) throws -> T) async throws -> T {
            let stream = self.stream
            return try await self.loop.submit { try body(stream.value) }.get()
        }

        /// Waits until the engine woke the stream more than `count` times in all (a waiting action can go on); fails
        /// after 5 s.
        func wake(beyond count: Int) async throws {
            let stream = self.stream
            let loop = self.loop
            try await loop.flatSubmit { () -> EventLoopFuture<Void> in
                if stream.value.wakes > count { return loop.makeSucceededVoidFuture() }
                let promise = loop.makePromise(of: Void.self)
                stream.value.wakeWaiter = promise
                loop.scheduleTask(in: .seconds(5)) {
                    stream.value.wakeWaiter?.fail(ChannelError.eof)
                    stream.value.wakeWaiter = nil
                }
                return promise.futureResult
            }.get()
        }
    }

    @Test("txn.req:line() waits for the whole first line: the rules suspend, are woken by data, and decide on it")
    func lineWaitsForData() async throws {
        try await self.withStream { on in
            let first = try await on { stream -> String in
                let rules = try stream.rules(["lua.firstline", "reject"])
                stream.context.contentFinal = false
                return "\(rules.apply(in: stream.context, final: false))"
            }
            #expect(first == "suspend(resumeAt: 0)")
            let afterPart = try await on { stream -> String in
                stream.request.input.writeString("HEL")
                stream.request.changed()
                let rules = try stream.rules(["lua.firstline", "reject"])
                return "\(stream.wakes) \(rules.apply(in: stream.context, from: 0, resuming: true, final: false))"
            }
            #expect(afterPart == "1 suspend(resumeAt: 0)", "woken once, still no newline")
            let decided = try await on { stream -> String in
                stream.request.input.writeString("LO\nmore")
                stream.request.changed()
                let rules = try stream.rules(["lua.firstline", "reject"])
                let verdict = rules.apply(in: stream.context, from: 0, resuming: true, final: false)
                return "\(verdict) \(stream.variable("line") ?? "nil") \(stream.request.input.readableBytes)"
            }
            #expect(decided == "reject HELLO\n 10", "the action saw the line (not consumed), then the next rule ran")
        }
    }

    @Test("act.DENY rejects; without inspect-delay (final) line() returns what is there at once")
    func denyAndFinal() async throws {
        try await self.withStream { on in
            let verdicts = try await on { stream -> [String] in
                let rules = try stream.rules(["lua.firstline"])
                stream.request.input.writeString("BAD stuff")
                stream.request.isFinal = true
                let first = rules.apply(in: stream.context, final: true)
                return ["\(first)", stream.variable("line") ?? "nil"]
            }
            #expect(verdicts == ["reject", "BAD stuff"])
        }
    }

    @Test("core.msleep suspends only the rules; the wake comes after the sleep; a failing action is skipped; act.DONE stops")
    func sleepFailAndDone() async throws {
        try await self.withStream { on in
            let started = ContinuousClock.now
            let first = try await on { stream in
                "\(try stream.rules(["lua.nap", "lua.fail", "lua.done", "reject"]).apply(in: stream.context, final: false))"
            }
            #expect(first == "suspend(resumeAt: 0)")
            try await on.wake(beyond: 0)
            #expect(ContinuousClock.now - started >= .milliseconds(45))
            let resumed = try await on { stream -> [String] in
                let rules = try stream.rules(["lua.nap", "lua.fail", "lua.done", "reject"])
                let verdict = rules.apply(in: stream.context, from: 0, resuming: true, final: false)
                return ["\(verdict)", stream.variable("napped") ?? "nil", stream.log.lines.joined(separator: "|")]
            }
            #expect(resumed[0] == "accept", "act.DONE ends the rule set before 'reject'")
            #expect(resumed[1] == "1")
            #expect(resumed[2].contains("Lua function 'lua.fail': runtime error: ") && resumed[2].contains("failing on purpose"))
        }
    }

    @Test("an action still sleeping when the inspect-delay ends fails with 'yield not allowed' and the rules go on")
    func expiryAbandonsASleepingAction() async throws {
        try await self.withStream { on in
            let verdicts = try await on { stream -> [String] in
                let rules = try stream.rules(["lua.nap", "reject"])
                let first = rules.apply(in: stream.context, final: false)
                let last = rules.apply(in: stream.context, from: 0, resuming: true, final: true)
                return ["\(first)", "\(last)", stream.variable("napped") ?? "nil", stream.log.lines.joined(separator: "|")]
            }
            #expect(verdicts[0] == "suspend(resumeAt: 0)")
            #expect(verdicts[1] == "reject")
            #expect(verdicts[2] == "nil")
            #expect(verdicts[3].contains("Lua function 'lua.nap': yield not allowed"), "\(verdicts[3])")
        }
    }

    @Test("act.YIELD: the action runs again at each stream event, never by itself; once final, unable to yield, it is logged")
    func yieldRunsAgainOnEvents() async throws {
        try await self.withStream { on in
            let rules = ["lua.yieldy", "reject"]
            #expect(try await on { try $0.apply(rules, then: "runs") } == "suspend(resumeAt: 0) 1")
            // No wake-up of its own in mode tcp (no act.wake_time): it waits for the stream's next event.
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await on { stream in stream.wakes } == 0)
            let again = try await on { try $0.apply(rules, resuming: true, then: "runs") }
            #expect(again == "suspend(resumeAt: 0) 2", "a stream event ran it again")
            let final = try await on { try $0.apply(rules, resuming: true, final: true, then: "runs") }
            #expect(final == "reject 3", "run once more, then the next rule")
            let log = try await on { stream in stream.log.lines.joined(separator: "|") }
            #expect(log.contains("Lua function 'lua.yieldy': yield not allowed"), "\(log)")
        }
    }

    @Test("act.wake_time(30) then act.YIELD: the engine wakes the stream, and the action runs again")
    func wakeTimeWakesTheStream() async throws {
        try await self.withStream { on in
            #expect(try await on { try $0.apply(["lua.later"], then: "later") } == "suspend(resumeAt: 0) nil")
            try await on.wake(beyond: 0)
            #expect(try await on { try $0.apply(["lua.later"], resuming: true, then: "later") } == "accept again")
        }
    }

    @Test("core.wait() without a delay: nothing but a stream event resumes it")
    func waitEndsOnAStreamEvent() async throws {
        try await self.withStream { on in
            #expect(try await on { try $0.apply(["lua.waiter"], then: "woke") } == "suspend(resumeAt: 0) nil")
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await on { stream in stream.wakes } == 0)
            let resumed = try await on { stream in
                stream.request.input.writeString("x")
                return try stream.apply(["lua.waiter"], resuming: true, then: "woke")
            }
            #expect(resumed == "accept yes")
        }
    }

    @Test("txn.res:send and txn.req:forward fill the channels' outputs; a tcp-res action rewrites the server's bytes")
    func channelOutputs() async throws {
        try await self.withStream { on in
            let result = try await on { stream -> [String] in
                stream.request.input.writeString("abcdef")
                stream.response.input.writeString("from server")
                let request = try stream.rules(["lua.greet"]).apply(in: stream.context, final: true)
                stream.context.direction = .response
                let response = try stream.rules(["lua.shout"], facility: .tcpResponse)
                    .apply(in: stream.context, final: true)
                return [
                    "\(request)", "\(response)", String(buffer: stream.response.output),
                    String(buffer: stream.request.output), String(buffer: stream.request.input),
                    String(buffer: stream.response.input), stream.variable("forwarded") ?? "nil",
                ]
            }
            #expect(result == ["accept", "accept", "hi\n", "ab", "cdef", "FROM SERVER", "2"])
        }
    }

    /// A client connection as a TCP service sees it.
    final class ServiceSide: ServiceIO {
        var input = ByteBuffer()
        var inputEnded = false
        var written = ""
        var finished = false
        var requestFraming: HTTPBodyFraming? { nil }
        var isWritable: Bool { true }
        func takeInput() -> ByteBuffer? {
            defer { self.input = ByteBuffer() }
            return self.input.readableBytes > 0 ? self.input : nil
        }
        func write(_ bytes: ByteBuffer) { self.written += String(buffer: bytes) }
        func finish() { self.finished = true }
    }

    @Test("a TCP service reads a line and the rest with applet:getline/receive, uses applet.sf and applet.sc, and finishes")
    func tcpService() async throws {
        try await self.withStream { on in
            final class Holder: @unchecked Sendable {
                var side = ServiceSide()
                var running: (any RunningService)?
            }
            let holder = Holder()
            let started = try await on { stream -> String in
                let service = try stream.environment.externalRules!.service("lua.hello")
                holder.side.input.writeString("first ")
                holder.running = service.start(in: stream.context, io: holder.side)
                return holder.side.written
            }
            #expect(started == "", "waiting for the end of the line")
            let afterLine = try await on { _ -> String in
                holder.side.input.writeString("line\nand the")
                holder.running?.inputAvailable()
                return holder.side.written
            }
            #expect(afterLine == "src=192.0.2.7 line=FIRST LINE\n")
            let ended = try await on { _ -> [String] in
                holder.side.input.writeString(" rest")
                holder.side.inputEnded = true
                holder.running?.inputAvailable()
                return [holder.side.written, "\(holder.side.finished)"]
            }
            #expect(ended == ["src=192.0.2.7 line=FIRST LINE\nrest=and the rest", "true"])
        }
    }

    @Test("a failing TCP service finishes its output (the proxy closes) and the error is logged")
    func failingService() async throws {
        try await self.withStream { on in
            let result = try await on { stream -> [String] in
                let side = ServiceSide()
                let service = try stream.environment.externalRules!.service("lua.crash")
                _ = service.start(in: stream.context, io: side)
                return [side.written, "\(side.finished)", stream.log.lines.joined(separator: "|")]
            }
            #expect(result[0] == "partial")
            #expect(result[1] == "true")
            #expect(result[2].contains("Lua service 'lua.crash': runtime error: "), "\(result[2])")
        }
    }

    @Test("AppletHTTP has f/sf/c/sc too; HTTP fetches raise in services as in HAProxy")
    func httpAppletFields() async throws {
        try await self.withStream { on in
            let written = try await on { stream -> String in
                let side = ServiceSide()
                side.inputEnded = true
                let service = try stream.environment.externalRules!.service("lua.fields")
                _ = service.start(in: stream.context, io: side)
                return side.written
            }
            #expect(written.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(written)")
            #expect(written.contains("192.0.2.7 ab false "), "\(written)")
            #expect(written.contains("needs an HTTP parser which is not available in Lua services"), "\(written)")
        }
    }
}
