import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Process control as HAProxy users script it: SIGUSR1 soft stop and `-sf` reloads.
@Suite("Signals and reload", .timeLimit(.minutes(1)))
struct SignalTests {
    @Test("SIGUSR1 lets an in-flight request finish, stops listening, exits 0")
    func softStop() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let slow = Task { try await HTTPClient.request(port: port, "/slow?delay=3000") }
        let reached = await eventually(timeout: .seconds(5)) { server.inFlight == 1 }
        try #require(reached, "the slow request never reached the server")

        tidegate.signal(SIGUSR1)
        let refused = try await eventually(timeout: .seconds(1)) {
            try await blocking { !TestSocket.canConnect(port: port) }
        }
        let refusedWhileInFlight = server.inFlight == 1
        let response = try await slow.value
        let status = try await tidegate.waitForExit(timeout: .seconds(5))

        #expect(refused, "new connections still accepted 1 s after SIGUSR1")
        #expect(refusedWhileInFlight, "listeners closed only after the in-flight request ended")
        #expect(response.status == 200)
        #expect(response.servedBy == "s1")
        #expect(!tidegate.killedBySignal)
        #expect(status == 0, "stderr: \(tidegate.stderrText)")
    }

    @Test("SIGTERM stops at once, cutting an in-flight request")
    func hardStop() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let tidegate = try await TidegateProcess.start(
            config: TestConfig.simpleProxy(port: port, servers: [server]), ports: [port])
        defer { tidegate.stop() }

        let slow = Task { try await HTTPClient.request(port: port, "/slow?delay=5000") }
        let reached = await eventually(timeout: .seconds(5)) { server.inFlight == 1 }
        try #require(reached, "the slow request never reached the server")

        let clock = ContinuousClock()
        let signalled = clock.now
        tidegate.signal(SIGTERM)
        _ = try await tidegate.waitForExit(timeout: .seconds(3))
        let stopTime = clock.now - signalled
        let outcome = await slow.result

        #expect(stopTime < .seconds(2), "took \(stopTime) to stop")
        #expect(!tidegate.killedBySignal, "SIGTERM must be handled, not fatal")
        // As HAProxy: the connection is closed as it is, with no response at all.
        if case .success(let response) = outcome {
            Issue.record("expected the connection to be cut without a response, got status \(response.status)")
        }
        #expect(!TestSocket.canConnect(port: port))
    }

    @Test("-D -p: the launcher exits 0, the daemon writes its pid, serves, and stops on SIGTERM")
    func daemonWithPidFile() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let configPath = try scratch.write("tidegate.cfg", TestConfig.simpleProxy(port: port, servers: [server]))
        let pidPath = scratch.file("daemon.pid")

        let launcher = try await TidegateProcess.runToCompletion(
            arguments: ["-D", "-p", pidPath, "-f", configPath], in: scratch, timeout: .seconds(10))
        let pidWritten = await eventually(timeout: .seconds(10)) { Self.pid(in: pidPath) != nil }
        let daemon = Self.pid(in: pidPath) ?? 0
        defer { if daemon > 0 && Self.isAlive(daemon) { kill(daemon, SIGKILL) } }
        try #require(launcher.status == 0, "launcher stderr: \(launcher.stderr)")
        try #require(pidWritten && daemon > 0, "no pid in \(pidPath)")

        let ready = try await eventually(timeout: .seconds(10)) {
            try await blocking { TestSocket.canConnect(port: port) }
        }
        let response = try await HTTPClient.request(port: port, "/")
        kill(daemon, SIGTERM)
        let gone = await eventually(timeout: .seconds(5)) { !Self.isAlive(daemon) }

        #expect(ready)
        #expect(response.status == 200)
        #expect(gone, "daemon \(daemon) still alive after SIGTERM")
    }

    /// The pid recorded in a pidfile.
    static func pid(in path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Whether `pid` runs (a zombie waiting for a reaper counts as gone).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return kill(pid, 0) == 0
        }
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    @Test("-sf reload under load loses no request and the old process exits")
    func reloadUnderLoad() async throws {
        let servers = try await TestHTTPServer.start(count: 2)
        let port = try FreePort.next()
        // Default thread count: one SO_REUSEPORT listener per event loop, as in production.
        let config = TestConfig.simpleProxy(port: port, servers: servers, global: [])
        let old = try await TidegateProcess.start(config: config, ports: [port])
        defer { old.stop() }

        let clock = ContinuousClock()
        let stopAt = clock.now + .seconds(3)
        let workers = (0..<4).map { _ in Task { try await Self.load(port: port, until: stopAt) } }

        try await Task.sleep(for: .seconds(1))
        let new = try await TidegateProcess.start(
            configPath: old.configPath, scratch: old.scratch, ownsScratch: false, tag: "reloaded",
            arguments: ["-sf", String(old.pid)], readiness: .pidFile)
        defer { new.stop() }
        let oldStatus = try await old.waitForExit(timeout: .seconds(10))

        var total = LoadResult()
        for worker in workers { total.add(try await worker.value) }
        let afterReload = try await HTTPClient.request(port: port, "/after")
        report("reload under load: \(total); errors: \(total.errors.prefix(5))")

        #expect(total.succeeded > 20, "load loop barely ran: \(total)")
        let attempts = total.succeeded + total.failed
        #expect(
            total.failed == 0, "\(total.failed) of \(attempts) requests failed in the reload: \(total.errors.prefix(5))"
        )
        #expect(oldStatus == 0 && !old.killedBySignal, "old process ended with \(oldStatus); stderr: \(old.stderrText)")
        #expect(new.isRunning)
        #expect(afterReload.status == 200)
    }

    /// What one load worker saw.
    struct LoadResult: Sendable, CustomStringConvertible {
        var succeeded = 0
        var failed = 0
        var errors: [String] = []

        mutating func add(_ other: LoadResult) {
            succeeded += other.succeeded
            failed += other.failed
            errors += other.errors
        }

        var description: String { "\(succeeded) ok, \(failed) failed" }
    }

    /// Requests on fresh connections, one after the other, until `deadline`.
    static func load(port: Int, until deadline: ContinuousClock.Instant) async throws -> LoadResult {
        try await blocking {
            var result = LoadResult()
            while ContinuousClock().now < deadline {
                do {
                    let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
                    defer { connection.close() }
                    try connection.send(RawRequest.get("/load", close: true))
                    let response = try connection.readResponse()
                    if response.status == 200 {
                        result.succeeded += 1
                    } else {
                        result.failed += 1
                        result.errors.append("status \(response.status)")
                    }
                } catch {
                    result.failed += 1
                    result.errors.append("\(error)")
                }
            }
            return result
        }
    }
}
