import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The real programs of the SPOA end-to-end tests: Debian's HAProxy (installed on first use, like
/// `scripts/install-deps.sh` installs the other packages) and the `tidegate-spoa` binary under test.
enum SPOABinaries {
    private static let installLock = NSLock()

    /// `/usr/sbin/haproxy`, installing Debian's `haproxy` package first if it is missing.
    static func haproxy() throws -> String {
        let path = "/usr/sbin/haproxy"
        installLock.lock()
        defer { installLock.unlock() }
        if !FileManager.default.isExecutableFile(atPath: path) {
            let installer = Process()
            installer.executableURL = URL(fileURLWithPath: TidegateBinary.repositoryRoot + "/scripts/install-deps.sh")
            installer.arguments = ["haproxy"]
            try installer.run()
            installer.waitUntilExit()
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError(description: "HAProxy is not installed and scripts/install-deps.sh haproxy failed")
        }
        return path
    }

    /// `TIDEGATE_SPOA_BIN`, else `tidegate-spoa` next to the `tidegate` binary or in the usual build directories.
    static func agent() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["TIDEGATE_SPOA_BIN"], !explicit.isEmpty {
            return explicit
        }
        var candidates = [".build/debug", ".build-e2e/debug"].map { "\(TidegateBinary.repositoryRoot)/\($0)/tidegate-spoa" }
        if let tidegate = try? TidegateBinary.path() {
            candidates.insert((tidegate as NSString).deletingLastPathComponent + "/tidegate-spoa", at: 0)
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw HarnessError(
                description: "tidegate-spoa not found (\(candidates)); build it with `swift build --product tidegate-spoa`")
        }
        return found
    }
}

/// A HAProxy in front of a small HTTP application (a second HAProxy frontend answering 200), with
/// `filter spoe` asking `tidegate-spoa` about every request and echoing the variables it set into
/// response headers.
struct SPOAEndToEndSetup: Sendable {
    let scratch: ScratchDirectory
    let frontendPort: Int
    let applicationPort: Int
    let agentPort: Int

    init() throws {
        scratch = try ScratchDirectory()
        frontendPort = try FreePort.next()
        applicationPort = try FreePort.next()
        agentPort = try FreePort.next()
    }

    /// The variables the agent sets (`txn.e2e.<name>` unless noted) and the response header showing each.
    static let echoedVariables: [(header: String, variable: String)] = [
        ("X-Boolean", "txn.e2e.boolean"), ("X-Int32", "txn.e2e.int32"), ("X-Uint32", "txn.e2e.uint32"),
        ("X-Int64", "txn.e2e.int64"), ("X-Uint64", "txn.e2e.uint64"), ("X-Ipv4", "txn.e2e.ipv4"),
        ("X-Ipv6", "txn.e2e.ipv6"), ("X-Str", "txn.e2e.str"), ("X-Bin", "txn.e2e.bin"),
        ("X-Args", "txn.e2e.args"), ("X-Gone", "sess.e2e.gone"), ("X-Unset", "sess.e2e.unset"),
        ("X-Err", "txn.e2e.err"), ("X-Body-Length", "txn.e2e.bodylen"),
    ]

    var haproxyConfig: String {
        let headers = Self.echoedVariables.map { "    http-response set-header \($0.header) \"%[var(\($0.variable))]\"" }
        return """
            global
                nbthread 1

            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s

            frontend fe
                bind 127.0.0.1:\(frontendPort)
                option http-buffer-request
                # Set before the agent runs: the agent's set_var_null and unset_var must remove them.
                tcp-request session set-var(sess.e2e.gone) str(preset)
                tcp-request session set-var(sess.e2e.unset) str(preset)
                filter spoe engine e2e config \(scratch.file("spoe.conf"))
                default_backend application
            \(headers.joined(separator: "\n"))

            backend application
                server app 127.0.0.1:\(applicationPort)

            frontend application
                bind 127.0.0.1:\(applicationPort)
                http-request return status 200 content-type text/plain string ok

            backend spoa-agents
                mode tcp
                timeout connect 2s
                timeout server 3m
                option spop-check
                server agent1 127.0.0.1:\(agentPort) check inter 300ms fall 1 rise 1
            """
    }

    static let spoeConfig = """
        [e2e]
        spoe-agent e2e-agent
            messages e2e-check e2e-body
            option var-prefix e2e
            option set-on-error err
            option pipelining
            # Few connections: HAProxy 2.6 then pipelines the NOTIFYs of concurrent requests on them.
            maxconnrate 2
            timeout hello 2s
            timeout idle 30s
            timeout processing 2s
            # Small frames: request bodies of a few kB come in fragments.
            max-frame-size 4096
            use-backend spoa-agents

        spoe-message e2e-check
            args ip=src port=src_port path=path tag=req.hdr(x-tag) spin=req.hdr(x-spin) ip6=ipv6(2001:db8::42) big=int(-9000000000) flag=bool(1)
            event on-frontend-http-request

        # Request bodies: above max-frame-size (4096 here), HAProxy 2.6 sends the NOTIFY in fragments.
        spoe-message e2e-body
            args body=req.body
            event on-frontend-http-request if { method POST }
        """

    /// Writes the configs and starts HAProxy (the agent may not be up yet: HAProxy's check finds it later).
    func startHAProxy() async throws -> TidegateProcess {
        // HAProxy refuses files whose last line has no LF.
        try scratch.write("spoe.conf", Self.spoeConfig + "\n")
        let config = try scratch.write("haproxy.cfg", haproxyConfig + "\n")
        return try await TidegateProcess.start(
            configPath: config, scratch: scratch, ownsScratch: false, tag: "haproxy", arguments: ["-db"],
            readiness: .ports([frontendPort, applicationPort]), executable: try SPOABinaries.haproxy())
    }

    /// Starts `tidegate-spoa` on the agent port with `script` (a file of this folder's `Fixtures`).
    func startAgent(script: String = "spoa_e2e.lua", workers: Int = 2, tag: String = "agent") async throws
        -> TidegateProcess
    {
        try await TidegateProcess.start(
            configPath: Self.fixture(script), scratch: scratch, ownsScratch: false, tag: tag,
            arguments: ["-p", "127.0.0.1:\(agentPort)", "-n", String(workers)],
            readiness: .ports([agentPort]), executable: try SPOABinaries.agent())
    }

    static func fixture(_ name: String) -> String {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// One request through HAProxy carrying `X-Tag: tag`.
    func request(tag: String, spin: Int = 0) async throws -> RawHTTPResponse {
        try await HTTPClient.request(
            port: frontendPort, "/e2e/\(tag)", headers: [("X-Tag", tag), ("X-Spin", String(spin))])
    }

    /// A POST through HAProxy with a body of `size` bytes.
    func post(size: Int) async throws -> RawHTTPResponse {
        try await blocking { [frontendPort] in
            let connection = try RawHTTPConnection(port: frontendPort, timeout: .seconds(10))
            defer { connection.close() }
            try connection.send(
                "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: \(size)\r\nConnection: close\r\n\r\n"
                    + String(repeating: "b", count: size))
            return try connection.readResponse()
        }
    }

    /// The agent's counters: sends SIGUSR1 and reads the report it prints on standard output.
    func counters(of agent: TidegateProcess) async throws -> [String: String] {
        let before = agent.stdoutText.count
        agent.signal(SIGUSR1)
        _ = await eventually(timeout: .seconds(5)) {
            String(agent.stdoutText.dropFirst(before)).contains("max-in-flight:")
        }
        let text = String(agent.stdoutText.dropFirst(before))
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return values
    }
}
