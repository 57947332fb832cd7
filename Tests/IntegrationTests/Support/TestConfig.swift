import Foundation

/// Builds the configuration texts of the tests: a `global` and a `defaults` section with short
/// timeouts, then the sections a test writes.
enum TestConfig {
    /// `global` lines (default: one thread, so distribution is exact) + defaults + `sections`.
    static func make(global: [String] = ["nbthread 1"], defaults: [String] = [], _ sections: String) -> String {
        var lines = ["global"] + global.map { "    \($0)" }
        lines += [
            "", "defaults", "    mode http", "    timeout connect 2s", "    timeout client 10s",
            "    timeout server 10s",
        ]
        lines += defaults.map { "    \($0)" }
        return lines.joined(separator: "\n") + "\n\n" + sections + "\n"
    }

    /// `server` lines for `servers`, each followed by `options`.
    static func serverLines(_ servers: [TestHTTPServer], options: String = "") -> String {
        servers.map { "    server \($0.name) 127.0.0.1:\($0.port)\(options.isEmpty ? "" : " \(options)")" }
            .joined(separator: "\n")
    }

    /// A frontend on `port` sending everything to backend `be` made of `servers`.
    static func simpleProxy(
        port: Int, servers: [TestHTTPServer], balance: String = "roundrobin", backendLines: [String] = [],
        global: [String] = ["nbthread 1"], defaults: [String] = []
    ) -> String {
        let extra = backendLines.map { "    \($0)\n" }.joined()
        return make(
            global: global, defaults: defaults,
            """
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be

            backend be
                balance \(balance)
            \(extra)\(serverLines(servers))
            """)
    }
}

/// How many responses each backend name served.
func distribution(_ responses: [RawHTTPResponse]) -> [String: Int] {
    responses.reduce(into: [:]) { $0[$1.servedBy ?? "-", default: 0] += 1 }
}

/// Prints a measurement when `TIDEGATE_E2E_VERBOSE` is set (memory peaks, failure rates…).
func report(_ message: @autoclosure () -> String) {
    if ProcessInfo.processInfo.environment["TIDEGATE_E2E_VERBOSE"] != nil { print("[e2e] \(message())") }
}
