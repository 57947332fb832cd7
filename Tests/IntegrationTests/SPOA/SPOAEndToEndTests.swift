import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `tidegate-spoa` behind a real HAProxy (Debian's 2.6 package): `filter spoe` sends a message per request, the
/// agent's Lua handler sets variables of every type, and HAProxy echoes them into response headers.
@Suite(.serialized) struct SPOAEndToEndTests {
    /// What every response must show when the agent answered (`X-Str`/`X-Bin` carry the request's tag).
    static func expectAgentAnswered(
        _ response: RawHTTPResponse, tag: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == 200, sourceLocation: sourceLocation)
        let expected: [String: String] = [
            "X-Boolean": "1", "X-Int32": "-42", "X-Uint32": "4000000000", "X-Int64": "-9000000000000",
            "X-Uint64": "9000000000000", "X-Ipv4": "10.1.2.3", "X-Ipv6": "2001:db8::7", "X-Str": "tag=\(tag)",
            "X-Bin": "bin-\(tag)", "X-Gone": "", "X-Unset": "", "X-Err": "",
        ]
        for (header, value) in expected {
            #expect(response.header(header) == value, "\(header) in \(response)", sourceLocation: sourceLocation)
        }
    }

    /// Polls until a request comes back with the agent's variables (HAProxy's check has found the agent up).
    static func waitForAgent(_ setup: SPOAEndToEndSetup, timeout: Duration = .seconds(10)) async throws -> Bool {
        try await eventually(timeout: timeout, interval: .milliseconds(100)) {
            let response = try? await setup.request(tag: "probe")
            return response?.header("X-Int32") == "-42"
        }
    }

    /// Starts the agent (with `script`) and HAProxy, waits until requests show the agent's variables, runs `body`,
    /// then stops both.
    static func withRunningAgent(
        script: String = "spoa_e2e.lua", workers: Int = 2,
        _ body: (SPOAEndToEndSetup, TidegateProcess) async throws -> Void
    ) async throws {
        let setup = try SPOAEndToEndSetup()
        defer { setup.scratch.remove() }
        let agent = try await setup.startAgent(script: script, workers: workers)
        defer { agent.stop() }
        let haproxy = try await setup.startHAProxy()
        defer { haproxy.stop() }
        #expect(try await waitForAgent(setup), "agent never answered: \(agent.stderrText)")
        try await body(setup, agent)
    }

    /// The arguments as each engine's handler saw them: 64-bit integers intact, addresses as text (Lua) or
    /// `ipaddress` objects (Python).
    static let argumentViews = [
        "spoa_e2e.lua": (
            "ip=string:127.0.0.1 port=integer:",
            "path=string:/e2e/first tag=string:first spin=string:0 ip6=string:2001:db8::42 big=integer:-9000000000 "
                + "flag=boolean:true"
        ),
        "spoa_e2e.py": (
            "ip=IPv4Address:127.0.0.1 port=int:",
            "path=str:/e2e/first tag=str:first spin=str:0 ip6=IPv6Address:2001:db8::42 big=int:-9000000000 "
                + "flag=bool:True"
        ),
    ]

    @Test(arguments: ["spoa_e2e.lua", "spoa_e2e.py"])
    func everyVariableTypeComesBackThroughHAProxy(script: String) async throws {
        try await Self.withRunningAgent(script: script) { setup, _ in
            let response = try await setup.request(tag: "first")
            Self.expectAgentAnswered(response, tag: "first")
            let args = try #require(response.header("X-Args"))
            let (prefix, suffix) = Self.argumentViews[script]!
            #expect(args.hasPrefix(prefix) && args.hasSuffix(suffix), "\(args)")
        }
    }

    @Test(arguments: [("spoa_e2e.lua", 60_000), ("spoa_e2e.py", 15_000)])
    func pipelinedRequestsEachGetTheirOwnAnswer(script: String, spin: Int) async throws {
        try await Self.withRunningAgent(script: script, workers: 1) { setup, agent in
            // 8 clients × 25 requests, handlers doing some work: HAProxy sends several NOTIFYs per agent
            // connection before the ACKs come back. Each response must carry its own request's tag.
            let failures = try await withThrowingTaskGroup(of: [String].self) { tasks in
                for client in 0..<8 {
                    tasks.addTask {
                        var failures: [String] = []
                        for index in 0..<25 {
                            let tag = "c\(client)r\(index)"
                            let response = try await setup.request(tag: tag, spin: spin)
                            if response.header("X-Str") != "tag=\(tag)" || response.header("X-Int64") != "-9000000000000" {
                                failures.append("\(tag): \(response)")
                            }
                        }
                        return failures
                    }
                }
                return try await tasks.reduce(into: []) { $0 += $1 }
            }
            #expect(failures.isEmpty, "\(failures.prefix(3))")
            let counters = try await setup.counters(of: agent)
            report("tidegate-spoa counters after 200 requests: \(counters)")
            #expect(Int(counters["empty-acks-after-error"] ?? "") == 0, "\(counters)")
            #expect(Int(counters["protocol-errors"] ?? "") == 0, "\(counters)")
            #expect((Int(counters["notify-frames"] ?? "") ?? 0) >= 200, "\(counters)")
            // Pipelining at work: several NOTIFYs in flight on one agent connection.
            #expect((Int(counters["max-in-flight"] ?? "") ?? 0) >= 3, "\(counters)")
        }
    }

    @Test func largeBodiesArriveInFragments() async throws {
        try await Self.withRunningAgent { setup, agent in
            // 12 kB cannot travel in one 4096-byte frame: HAProxy 2.6 sends the NOTIFY in fragments (NOTIFY, then
            // UNSET frames), which the agent announced it can reassemble (without that: a reconnect storm).
            for size in [100, 12_000] {
                let response = try await setup.post(size: size)
                #expect(response.status == 200, "\(response)")
                #expect(response.header("X-Body-Length") == String(size), "\(response)")
                #expect(response.header("X-Err") == "", "\(response)")
            }
            let counters = try await setup.counters(of: agent)
            #expect(Int(counters["protocol-errors"] ?? "") == 0, "\(counters)")
        }
    }

    @Test func agentKilledAndRestartedMidRun() async throws {
        try await Self.withRunningAgent { setup, agent in
            Self.expectAgentAnswered(try await setup.request(tag: "before"), tag: "before")

            // The agent dies: HAProxy's on-error path lets requests through without the variables.
            agent.stop()
            #expect(agent.killedBySignal)
            let degraded = try await eventually(timeout: .seconds(5), interval: .milliseconds(50)) {
                let response = try await setup.request(tag: "down")
                return response.status == 200 && response.header("X-Int32") == "" && response.header("X-Err") != ""
            }
            #expect(degraded, "requests must pass with an SPOE error while the agent is down")
            let down = try await setup.request(tag: "down")
            #expect(down.status == 200 && down.header("X-Gone") == "preset", "\(down)")

            // Back up on the same port: HAProxy's check sees it and the variables come back.
            let restarted = try await setup.startAgent(tag: "agent-restarted")
            defer { restarted.stop() }
            #expect(try await Self.waitForAgent(setup), "no recovery: \(restarted.stderrText)")
            Self.expectAgentAnswered(try await setup.request(tag: "after"), tag: "after")
        }
    }

    @Test func sigtermLetsTheAgentSayGoodbye() async throws {
        try await Self.withRunningAgent { setup, agent in
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit(timeout: .seconds(10)) == 0)
            #expect(!agent.killedBySignal)
            #expect(agent.stderrText.contains("all connections closed"), "\(agent.stderrText)")
            // HAProxy carries on without the agent.
            let response = try await setup.request(tag: "after-stop")
            #expect(response.status == 200)
        }
    }
}
