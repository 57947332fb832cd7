import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import TidegateConfig
import TidegateLua

@testable import TidegateLuaAPI

/// The test-only self-signed certificates of `Fixtures/TLS` (for `localhost`, no IP address: NIOSSL would accept
/// one matching the connected address for any name).
struct TLSTestCertificate {
    let certificatePath: String
    let keyPath: String

    private static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/TLS")

    /// The server's certificate and key.
    static let localhost = TLSTestCertificate(name: "localhost")
    /// An unrelated certificate, as a CA that did not sign the server's (no key).
    static let other = TLSTestCertificate(name: "other")

    private init(name: String) {
        self.certificatePath = Self.directory.appendingPathComponent("\(name)-cert.pem").path
        self.keyPath = Self.directory.appendingPathComponent("\(name)-key.pem").path
    }

    /// A server context presenting this certificate.
    func serverContext() throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(self.certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: self.keyPath, format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }
}

/// `Socket:connect_ssl` and `core.httpclient()` https against TLS servers in the test process.
@Suite struct IOTLSTests {
    @Test func connectSSLRoundTrip() async throws {
        let certificate = TLSTestCertificate.localhost
        try await IOTestHarness.with { harness in
            let server = try await IOTestServer(
                group: harness.group, behavior: .echo, tls: try certificate.serverContext())
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    s:settimeout(5)
                    local ok, err = s:connect_ssl("127.0.0.1", \(server.port))
                    local sent = s:send("hello over tls\\n")
                    local line = s:receive("*l")
                    s:send("abc")
                    local three = s:receive(3)
                    local peer = s:getpeername()
                    s:close()
                    return ok, err, sent, line, three, peer
                    """, limit: .seconds(30))
            #expect(
                outcome
                    == .values([1, nil, 15, "hello over tls", "abc", .string(Array("127.0.0.1:\(server.port)".utf8))]))
            try await server.close()
        }
    }

    @Test func connectSSLToPlainServerFails() async throws {
        try await IOTestHarness.with { harness in
            let plain = try await IOTestServer(group: harness.group, behavior: .echo)
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    s:settimeout(5)
                    local ok, err = s:connect_ssl("127.0.0.1", \(plain.port))
                    local none, err2 = s:receive()
                    local again = core.tcp()
                    local plainOk = again:connect("127.0.0.1", \(plain.port))
                    again:send("still alive\\n")
                    local echoed = again:receive()
                    again:close()
                    return ok, err, none, err2, plainOk, echoed
                    """, limit: .seconds(30))
            let values = outcome.values
            #expect(values.count == 6, "\(outcome)")
            guard values.count == 6 else { return }
            #expect(values[0] == .nil)
            #expect(values[1].stringValue?.hasPrefix("SSL") == true, "\(values[1])")
            #expect(Array(values[2...]) == [nil, "closed", 1, "still alive"])
            try await plain.close()
        }
    }

    @Test func connectSSLRefused() async throws {
        try await IOTestHarness.with { harness in
            let port = try await IOTestServer.closedPort(group: harness.group)
            let outcome = try await harness.run(
                function: """
                    local s = core.tcp()
                    return s:connect_ssl("127.0.0.1", \(port))
                    """, limit: .seconds(30))
            #expect(outcome == .values([nil, "connection refused"]))
        }
    }

    private static let response = "HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nover tls!"

    private func httpsGet(
        _ certificate: TLSTestCertificate, verify: Bool, caFile: String?, host: String = "localhost"
    ) async throws -> (IOTestHarness.Outcome, String) {
        let context = try LuaTLS.httpClientContext(verify: verify, caFile: caFile)
        let options = LuaIOOptions(httpClient: .init(retries: 0, tlsContext: context))
        return try await IOTestHarness.with(options: options) { harness in
            let server = try await IOTestServer(
                group: harness.group, behavior: .http(Self.response), tls: try certificate.serverContext())
            let outcome = try await harness.run(
                function: """
                    local hc = core.httpclient()
                    local r = hc:get{url="https://\(host):\(server.port)/path", dst="127.0.0.1:\(server.port)",
                        timeout=20000}
                    return r.status, r.reason, r.body
                    """, limit: .seconds(30))
            let received = server.allReceived
            try await server.close()
            return (outcome, received)
        }
    }

    @Test func httpsWithoutVerification() async throws {
        let certificate = TLSTestCertificate.localhost
        let (outcome, received) = try await self.httpsGet(certificate, verify: false, caFile: nil, host: "example.com")
        #expect(outcome == .values([200, "OK", "over tls!"]))
        #expect(received.hasPrefix("GET /path HTTP/1.1\r\n"))
        #expect(received.lowercased().contains("host: example.com:"))
    }

    @Test func httpsVerifiedAgainstCAFile() async throws {
        let certificate = TLSTestCertificate.localhost
        let (outcome, _) = try await self.httpsGet(certificate, verify: true, caFile: certificate.certificatePath)
        #expect(outcome == .values([200, "OK", "over tls!"]))
    }

    @Test func httpsVerificationFailsWithAnotherCA() async throws {
        let certificate = TLSTestCertificate.localhost
        let other = TLSTestCertificate.other
        let (outcome, _) = try await self.httpsGet(certificate, verify: true, caFile: other.certificatePath)
        let values = outcome.values
        #expect(values.count == 3, "\(outcome)")
        guard values.count == 3 else { return }
        #expect(values[0] == 0)
        #expect(values[1].stringValue?.hasPrefix("SSL handshake failure") == true, "\(values[1])")
    }

    @Test func httpsVerificationFailsForAnotherName() async throws {
        let certificate = TLSTestCertificate.localhost
        let (outcome, _) = try await self.httpsGet(
            certificate, verify: true, caFile: certificate.certificatePath, host: "other.example")
        #expect(outcome.values.first == 0, "\(outcome)")
    }

    @Test func unreadableCAFileIsAnError() throws {
        #expect(throws: LuaTLS.CAError.self) {
            try LuaTLS.httpClientContext(verify: true, caFile: "/nonexistent/ca.pem")
        }
        // Without verification the CA file is not read.
        _ = try LuaTLS.httpClientContext(verify: false, caFile: "/nonexistent/ca.pem")
    }

    @Test func keywordsParse() {
        let location = ConfigLocation(file: "t.cfg", line: 3)
        let (configuration, problems) = LuaEngineConfiguration.parse([
            ConfigDirective(words: ["httpclient.ssl.verify", "none"], location: location),
            ConfigDirective(words: ["httpclient.ssl.ca-file", "/etc/ca.pem"], location: location),
        ])
        #expect(problems.isEmpty)
        #expect(configuration.httpClientSSLVerify == false)
        #expect(configuration.httpClientSSLCAFile == "/etc/ca.pem")
        #expect(configuration.httpClientSSLLocation == location)
        #expect(LuaEngineConfiguration().httpClientSSLVerify && LuaEngineConfiguration().httpClientSSLLocation == nil)

        let (_, errors) = LuaEngineConfiguration.parse([
            ConfigDirective(words: ["httpclient.ssl.verify", "optional"], location: location),
            ConfigDirective(words: ["httpclient.ssl.ca-file"], location: ConfigLocation(file: "t.cfg", line: 4)),
        ])
        #expect(errors.map(\.message) == [
            "'httpclient.ssl.verify' expects 'none' or 'required' as argument",
            "'httpclient.ssl.ca-file' expects a file name as argument",
        ])
        #expect(errors.map(\.location) == [location, ConfigLocation(file: "t.cfg", line: 4)])
    }

    @Test func engineStopsOnAConfiguredCAItCannotLoad() throws {
        var configuration = LuaEngineConfiguration()
        configuration.httpClientSSLCAFile = "/nonexistent/ca.pem"
        configuration.httpClientSSLLocation = ConfigLocation(file: "t.cfg", line: 7)
        #expect {
            _ = try LuaEngine(configuration: configuration, loopCount: 1, environment: .standard, log: { _, _ in })
        } throws: { error in
            guard let error = error as? LuaEngineError else { return false }
            return error.location == ConfigLocation(file: "t.cfg", line: 7) && error.message.hasPrefix("httpclient:")
        }
    }
}
