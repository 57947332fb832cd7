import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of the harness itself (binary missing, process not ready…), with what explains it.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
}

/// Where the `tidegate` executable under test is.
enum TidegateBinary {
    /// The repository root, derived from this file's path (`Tests/IntegrationTests/Support/…`).
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `TIDEGATE_BIN`, else the first existing of the usual build directories.
    static func path() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["TIDEGATE_BIN"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw HarnessError(description: "TIDEGATE_BIN=\(explicit) is not an executable file")
            }
            return explicit
        }
        let candidates = [".build/debug", ".build-e2e/debug", ".build-snap/debug"].map {
            "\(repositoryRoot)/\($0)/tidegate"
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        throw HarnessError(
            description: """
                tidegate binary not found (looked at \(candidates.joined(separator: ", "))). \
                Build it with `swift build --product tidegate` or set TIDEGATE_BIN.
                """)
    }
}

/// A directory under the system temporary directory for one process's config, logs and pidfile.
struct ScratchDirectory: Sendable {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("tidegate-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let target = file(name)
        try contents.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A running `tidegate` under test. Output goes to files in its scratch directory; the process is
/// killed (SIGKILL) when the object goes away or ``stop()`` is called, whatever the test did.
final class TidegateProcess: @unchecked Sendable {
    let process: ChildProcess
    let scratch: ScratchDirectory
    let configPath: String
    let stdoutPath: String
    let stderrPath: String
    let ownsScratch: Bool

    var pid: Int32 { process.pid }
    var isRunning: Bool { process.isRunning }
    var stdoutText: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderrText: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    private init(process: ChildProcess, scratch: ScratchDirectory, configPath: String, tag: String, ownsScratch: Bool) {
        self.process = process
        self.scratch = scratch
        self.configPath = configPath
        self.stdoutPath = scratch.file("\(tag).stdout")
        self.stderrPath = scratch.file("\(tag).stderr")
        self.ownsScratch = ownsScratch
    }

    deinit {
        stop()
        if ownsScratch { scratch.remove() }
    }

    /// How to decide that a started process is ready.
    enum Readiness: Sendable {
        /// Every listed port accepts a TCP connection.
        case ports([Int])
        /// The pidfile given with `-p` holds the process id (written after every bind).
        case pidFile
        /// Do not wait.
        case none
    }

    /// Writes `config` to a fresh scratch directory, starts `tidegate -f cfg <arguments>` and waits
    /// (at most `readyTimeout`) until it is ready.
    /// `scratch`: a directory already holding files the config names (Lua scripts, maps); a new one by default.
    /// Either way the process owns it.
    static func start(
        config: String, ports: [Int], arguments: [String] = [], readyTimeout: Duration = .seconds(10),
        scratch: ScratchDirectory? = nil
    ) async throws -> TidegateProcess {
        let scratch = try scratch ?? ScratchDirectory()
        let path = try scratch.write("tidegate.cfg", config)
        return try await start(
            configPath: path, scratch: scratch, ownsScratch: true, tag: "tidegate", arguments: arguments,
            readiness: .ports(ports), readyTimeout: readyTimeout)
    }

    /// Starts another process on an existing config (e.g. a reload with `-sf`). `executable` runs another
    /// program taking `-f <file>` the same way (HAProxy, `tidegate-spoa`) instead of `tidegate`.
    static func start(
        configPath: String, scratch: ScratchDirectory, ownsScratch: Bool, tag: String, arguments: [String],
        readiness: Readiness, readyTimeout: Duration = .seconds(10), executable: String? = nil
    ) async throws -> TidegateProcess {
        var allArguments = ["-f", configPath] + arguments
        let pidPath = scratch.file("\(tag).pid")
        if case .pidFile = readiness { allArguments += ["-p", pidPath] }
        let tidegate = try launch(
            executable: try executable ?? TidegateBinary.path(), arguments: allArguments, scratch: scratch,
            configPath: configPath, tag: tag, ownsScratch: ownsScratch)
        let process = tidegate.process

        let clock = ContinuousClock()
        let deadline = clock.now + readyTimeout
        var pending: [Int]
        switch readiness {
        case .ports(let ports): pending = ports
        case .pidFile, .none: pending = []
        }
        while true {
            guard tidegate.isRunning else {
                throw HarnessError(
                    description:
                        "\(tag) exited early (status \(process.terminationStatus)); stderr:\n\(tidegate.stderrText)")
            }
            switch readiness {
            case .ports:
                pending = try await blocking { [pending] in pending.filter { !TestSocket.canConnect(port: $0) } }
                if pending.isEmpty { return tidegate }
            case .pidFile:
                let written = (try? String(contentsOfFile: pidPath, encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if written == String(tidegate.pid) { return tidegate }
            case .none:
                return tidegate
            }
            guard clock.now < deadline else {
                tidegate.stop()
                let waitingFor = pending.isEmpty ? "pidfile" : "ports \(pending)"
                throw HarnessError(
                    description:
                        "\(tag) not ready after \(readyTimeout) (\(waitingFor)); stderr:\n\(tidegate.stderrText)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Runs `tidegate <arguments>` to completion (e.g. `-c`, or `-D` whose launcher exits at
    /// once), bounded by `timeout`.
    ///
    /// Uses `posix_spawn` and `waitpid` rather than Foundation's `Process`, which notices the end
    /// of a child only when every process holding its monitoring socket is gone — never, when
    /// the child leaves a daemon behind.
    static func runToCompletion(
        arguments: [String], in scratch: ScratchDirectory, timeout: Duration = .seconds(20)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let tag = "run-\(UUID().uuidString.prefix(8))"
        let stdoutPath = scratch.file("\(tag).stdout")
        let stderrPath = scratch.file("\(tag).stderr")
        let pid = try ChildProcess.spawn(
            executable: try TidegateBinary.path(), arguments: arguments, stdout: stdoutPath, stderr: stderrPath)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard clock.now < deadline else {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw HarnessError(description: "tidegate \(arguments) still running after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (exitStatus, read(stdoutPath), read(stderrPath))
    }


    /// Starts the binary with its output redirected to `<tag>.stdout` / `<tag>.stderr` in `scratch`.
    private static func launch(
        executable: String, arguments: [String], scratch: ScratchDirectory, configPath: String, tag: String,
        ownsScratch: Bool
    ) throws -> TidegateProcess {
        let stdoutPath = scratch.file("\(tag).stdout")
        let stderrPath = scratch.file("\(tag).stderr")
        let pid = try ChildProcess.spawn(
            executable: executable, arguments: arguments, stdout: stdoutPath, stderr: stderrPath,
            directory: scratch.path)
        return TidegateProcess(
            process: ChildProcess(pid: pid), scratch: scratch, configPath: configPath, tag: tag,
            ownsScratch: ownsScratch)
    }

    /// Sends `signal` to the process.
    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the process to end; returns its exit status (the signal number if a signal killed
    /// it, see ``killedBySignal``). Throws if it is still running after `timeout`.
    @discardableResult
    func waitForExit(timeout: Duration) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            guard clock.now < deadline else {
                throw HarnessError(description: "tidegate (pid \(pid)) still running after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Whether the process ended because of a signal rather than by exiting.
    var killedBySignal: Bool { process.killedBySignal }

    /// Kills the process (SIGKILL) if it still runs, and waits (up to 5 s) until it is reaped.
    /// Polls, so that tests stopping processes from both threads of the cooperative pool at once do not block it.
    func stop() {
        guard process.isRunning else { return }
        kill(process.pid, SIGKILL)
        for _ in 0..<500 where process.isRunning {
            usleep(10_000)
        }
    }

    /// The process's resident set size in bytes (`VmRSS` of `/proc/<pid>/status`), nil once it is gone.
    func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
func eventually(
    timeout: Duration, interval: Duration = .milliseconds(50), _ condition: @Sendable () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return true }
        if clock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}
