import Testing

/// `tidegate -c`: the verdict and the HAProxy-style diagnostics scripts rely on.
@Suite("Configuration check (-c)", .timeLimit(.minutes(1)))
struct ConfigCheckTests {
    @Test("a valid configuration: exit 0 and 'Configuration file is valid'")
    func valid() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let port = try FreePort.next()
        let path = try scratch.write(
            "good.cfg",
            TestConfig.make(
                """
                frontend fe
                    bind 127.0.0.1:\(port)
                    default_backend be

                backend be
                    balance roundrobin
                    server s1 127.0.0.1:8080
                """))

        let result = try await TidegateProcess.runToCompletion(arguments: ["-c", "-f", path], in: scratch)

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("Configuration file is valid"), "stdout: \(result.stdout)")
        #expect(!TestSocket.canConnect(port: port), "-c must not start listening")
    }

    @Test("an unknown keyword: exit 1 and 'parsing [file:line]'")
    func unknownKeyword() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let lines = [
            "global",
            "    nbthread 1",
            "",
            "defaults",
            "    mode http",
            "    timeout client 5s",
            "",
            "frontend fe",
            "    bind 127.0.0.1:8080",
            "    frobnicate the-widgets",
            "    default_backend be",
            "",
            "backend be",
            "    server s1 127.0.0.1:8081",
        ]
        let path = try scratch.write("bad.cfg", lines.joined(separator: "\n") + "\n")
        let badLine = lines.firstIndex(of: "    frobnicate the-widgets")! + 1

        let result = try await TidegateProcess.runToCompletion(arguments: ["-c", "-f", path], in: scratch)

        #expect(result.status == 1)
        #expect(result.stderr.contains("parsing [\(path):\(badLine)]"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("frobnicate"), "stderr should name the keyword: \(result.stderr)")
        #expect(!result.stdout.contains("Configuration file is valid"))
    }
}
