import Foundation
import Testing

/// `maxconn`: at the limit the proxy stops accepting; waiting clients are served once a slot frees.
@Suite("maxconn", .timeLimit(.minutes(1)))
struct MaxconnTests {
    @Test("frontend maxconn 2: a third client waits in the backlog until one of the first two leaves")
    func frontendLimitQueuesInBacklog() async throws {
        try await check(global: ["nbthread 1"], frontendLine: "maxconn 2")
    }

    @Test("global maxconn 2 behaves the same")
    func globalLimitQueuesInBacklog() async throws {
        try await check(global: ["nbthread 1", "maxconn 2"], frontendLine: nil)
    }

    private func check(global: [String], frontendLine: String?) async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let port = try FreePort.next()
        let config = TestConfig.make(
            global: global,
            """
            frontend fe
                bind 127.0.0.1:\(port)
            \(frontendLine.map { "    \($0)\n" } ?? "")    default_backend be

            backend be
            \(TestConfig.serverLines([server]))
            """)
        let tidegate = try await TidegateProcess.start(config: config, ports: [port])
        defer { tidegate.stop() }

        try await blocking {
            // Two keep-alive clients hold both slots.
            let first = try RawHTTPConnection(port: port, timeout: .seconds(5))
            let second = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { second.close() }
            for connection in [first, second] {
                try connection.send(RawRequest.get("/hold"))
                #expect(try connection.readResponse().status == 200)
            }
            // The third connects (kernel backlog) but is not served while the limit holds.
            let third = try RawHTTPConnection(port: port, timeout: .seconds(5))
            defer { third.close() }
            try third.send(RawRequest.get("/waiting"))
            Thread.sleep(forTimeInterval: 0.5)
            #expect(!server.requests.contains { $0.uri == "/waiting" }, "served although maxconn was reached")
            // One client leaves: the waiting one is accepted and served (not dropped).
            first.close()
            #expect(try third.readResponse().status == 200)
        }
        #expect(server.requests.contains { $0.uri == "/waiting" })
    }
}
