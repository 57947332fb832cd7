import NIOCore
import NIOPosix
import Testing
import TidegateLua

@testable import TidegateLuaAPI

/// `core.tcp()` sockets against real local servers.
@Suite struct IOSocketTests {
    @Test func echoLinesCountsAndPrefix() async throws {
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(group: harness.group, behavior: .echo)
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    s:settimeout(1)
                    local ok = s:connect("127.0.0.1", \(server.port))
                    local sent = s:send("hello\\r\\nworld\\n")
                    local a = s:receive("*l")
                    local b = s:receive()
                    s:send("abcdef")
                    local c = s:receive(4)
                    local d = s:receive("2", "pre-")
                    local partial = s:send("0123456789", 3, -3)
                    local e = s:receive(6)
                    local peer = s:getpeername()
                    local me = s:getsockname()
                    s:close()
                    return ok, sent, a, b, c, d, partial, e, peer, me
                    """)
            let values = outcome.values
            #expect(values.count == 10, "\(outcome)")
            guard values.count == 10 else { return }
            #expect(Array(values[0..<8]) == [1, 13, "hello", "world", "abcd", "pre-ef", 8, "234567"])
            #expect(values[8].stringValue == "127.0.0.1:\(server.port)")
            let local = values[9].stringValue ?? ""
            #expect(local.hasPrefix("127.0.0.1:") && local != "127.0.0.1:\(server.port)")
            try await server.close()
        }
    }

    @Test func receiveAllUntilCloseThenClosed() async throws {
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(
                group: harness.group, behavior: .greet("first\nrest of it", close: true))
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    assert(s:connect("127.0.0.1:\(server.port)") == 1)
                    local line = s:receive("*l")
                    local all = s:receive("*a")
                    local none, err, partial = s:receive("*l")
                    local none2, err2, partial2 = s:receive(10, "p")
                    return line, all, none, err, partial, none2, err2, partial2
                    """)
            #expect(outcome == .values(["first", "rest of it", nil, "closed", "", nil, "closed", "p"]))
            try await server.close()
        }
    }

    @Test func connectionRefusedReturnsNilAndError() async throws {
        try await IOTestHarness.with { harness in
            let port = try await IOTestServer.closedPort(group: harness.group)
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    local ok, err = s:connect("ipv4@127.0.0.1", \(port))
                    local none, err2, partial = s:receive()
                    local sent, err3, last = s:send("x")
                    return ok, err, none, err2, sent, err3, last
                    """)
            #expect(outcome == .values([nil, "connection refused", nil, "closed", nil, "closed", 0]))
        }
    }

    @Test func silentServerTimesOutWithPartialData() async throws {
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(group: harness.group, behavior: .greet("no newline", close: false))
            let start = ContinuousClock.now
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    s:settimeout(0.2)
                    assert(s:connect("127.0.0.1", \(server.port)) == 1)
                    local data, err, partial = s:receive("*l")
                    local data2, err2, partial2 = s:receive(3, "x")
                    return data, err, partial, data2, err2, partial2
                    """)
            let elapsed = ContinuousClock.now - start
            #expect(outcome == .values([nil, "timeout", "no newline", nil, "timeout", "x"]))
            // Two 0.2 s timeouts really waited; the upper bound only says nothing hung (loaded CI machines are slow).
            #expect(elapsed >= .milliseconds(380) && elapsed < .seconds(10))
            try await server.close()
        }
    }

    @Test func argumentErrorsAndUnsupportedFeatures() async throws {
        try await IOTestHarness.with { harness in
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    local r = {}
                    r[1] = select(2, pcall(s.settimeout, s, -1))
                    r[2] = select(2, pcall(s.connect, s, "not an address"))
                    r[3] = select(2, pcall(s.connect, s, "127.0.0.1"))
                    r[4] = select(2, pcall(s.receive, s, "*x"))
                    r[5] = select(2, pcall(s.connect_ssl, s, "bad address", 443))
                    r[6] = select(2, pcall(s.settimeout, s))
                    r[7] = s:setoption("keepalive", true)
                    r[8] = s:getpeername()
                    r[9] = s:settimeout(0.0001)
                    return r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]
                    """)
            let texts = outcome.values.map { $0.stringValue ?? "\($0)" }
            #expect(texts.count == 9, "\(outcome)")
            guard texts.count == 9 else { return }
            #expect(texts[0].hasSuffix("settimeout: cannot set negatives values"))
            #expect(texts[1].hasSuffix("connect: cannot parse destination address 'not an address'"))
            #expect(texts[2].hasSuffix("connect: port missing"))
            #expect(texts[3].hasSuffix("Unsupported pattern."))
            #expect(texts[4].hasSuffix("connect: cannot parse destination address 'bad address'"))
            #expect(texts[5].hasSuffix("'settimeout' needs 2 arguments"))
            #expect(outcome.values[6] == .nil && outcome.values[7] == .nil && outcome.values[8] == 1)
        }
    }

    @Test func socketBelongsToItsEventLoop() async throws {
        final class Shared: @unchecked Sendable {
            var state: LuaState?
            var handles: [LuaObjectHandle] = []
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let creator = group.next()
        let other = group.next()
        #expect(creator !== other)
        let shared = Shared()
        try await creator.submit {
            let state = try LuaState()
            var core = try CoreModule.make(for: state, environment: CoreEnvironment())
            try LuaIOBindings.register(in: state, core: &core, options: LuaIOOptions()) { shared.handles.append($0) }
            try state.setGlobal("core", module: core)
            try state.run(chunk: "s = core.tcp()", name: "make")
            shared.state = state
        }.get()
        // The same state used from another loop (one thread at a time): the socket refuses.
        let message = try await other.submit {
            try shared.state?.run(chunk: "return select(2, pcall(s.connect, s, '127.0.0.1:1'))", name: "use") ?? []
        }.get()
        #expect(message.first?.stringValue?.hasSuffix("connect: cannot use socket on other thread") == true)
        try await creator.submit {
            for handle in shared.handles { shared.state?.invalidate(handle) }
            shared.state = nil
        }.get()
        try await group.shutdownGracefully()
    }

    @Test func closeWakesAWaitingReader() async throws {
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(group: harness.group, behavior: .silent)
            try await harness.load(
                """
                s = core.tcp()
                s:settimeout(5)
                function reader()
                    assert(s:connect("127.0.0.1", \(server.port)) == 1)
                    return s:receive("*l")
                end
                function closer()
                    core.msleep(50)
                    s:close()
                    return s:getpeername()
                end
                """)
            let start = ContinuousClock.now
            let outcomes = try await harness.run(["reader", "closer"])
            #expect(outcomes == [.values([nil, "closed", ""]), .values([nil])])
            #expect(ContinuousClock.now - start < .seconds(2))
            try await server.clientClosed()
            try await server.close()
        }
    }

    @Test func invalidatingTheSocketClosesTheConnection() async throws {
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(group: harness.group, behavior: .echo)
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    return s:connect("127.0.0.1", \(server.port))
                    """)
            #expect(outcome == .values([1]))
            try await harness.invalidateAll()
            try await server.clientClosed()
            try await server.close()
        }
    }

    @Test func connectTargets() throws {
        let describe: (String, Int?) -> String? = { text, port in
            switch try? LuaConnectTarget.parse(text, port: port) {
            case .address(let address)?: LuaConnectTarget.describe(address)
            case .unix(let path)?: path
            case .host(let name, let port)?: "\(name) \(port)"
            case nil: nil
            }
        }
        #expect(describe("[::1]:80", nil) == "[::1]:80")
        #expect(describe("ipv6@::1", 8080) == "[::1]:8080")
        #expect(describe("::1:8080", nil) == "[::1]:8080")
        #expect(describe("10.0.0.1:81", nil) == "10.0.0.1:81")
        #expect(describe("tcp@localhost:82", nil) == "localhost 82")
        #expect(describe("unix@/tmp/x.sock", nil) == "/tmp/x.sock")
        #expect(describe("/tmp/y.sock", nil) == "/tmp/y.sock")
        #expect(describe("ipv4@::1", 80) == nil)
        #expect(describe("abns@foo", 80) == nil)
        #expect(describe("10.0.0.1:99999", nil) == nil)
        #expect(throws: LuaConnectTarget.ParseError.portMissing) { try LuaConnectTarget.parse("10.0.0.1", port: nil) }
    }
}
