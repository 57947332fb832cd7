import Foundation
import Testing

/// Hash-based balancing: the same key always reaches the same server, different keys spread.
///
/// The keys differ only in their last characters (`key0`…`key19`, 127.0.0.2…13), so their raw sdbm
/// hashes are close together. HAProxy applies the `avalanche` modifier by default with
/// `hash-type consistent` (cfgparse: "if consistent with no argument, then avalanche modifier is
/// also applied"), which spreads them over the ring; `map-based` takes the raw hash modulo the weight.
@Suite("Hash balancing", .timeLimit(.minutes(1)))
struct HashBalancingTests {
    /// A hash algorithm and how to send a request carrying a given key.
    enum Algorithm: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case uri
        case header
        case urlParam

        var balanceLine: String {
            switch self {
            case .uri: "uri"
            case .header: "hdr(X-User)"
            case .urlParam: "url_param id"
            }
        }

        var testDescription: String { balanceLine }

        /// The request for `key`; `variant` changes whatever the hash must ignore.
        func request(key: String, variant: Int) -> String {
            switch self {
            // Without `whole`, only the part before '?' is hashed.
            case .uri: RawRequest.get("/\(key)/page?v=\(variant)", close: true)
            case .header: RawRequest.get("/r\(variant)", headers: [("X-User", key)], close: true)
            case .urlParam: RawRequest.get("/r\(variant)?x=\(variant)&id=\(key)", close: true)
            }
        }

        /// A request without the key (nil when every request has one).
        func keyless(variant: Int) -> String? {
            switch self {
            case .uri: nil
            case .header: RawRequest.get("/r\(variant)", close: true)
            case .urlParam: RawRequest.get("/r\(variant)?x=\(variant)", close: true)
            }
        }
    }

    static func start(balance: String, hashType: String, servers: [TestHTTPServer]) async throws
        -> (TidegateProcess, Int)
    {
        let port = try FreePort.next()
        let config = TestConfig.simpleProxy(
            port: port, servers: servers, balance: balance, backendLines: ["hash-type \(hashType)"])
        return (try await TidegateProcess.start(config: config, ports: [port]), port)
    }

    static func send(port: Int, _ requests: [String]) async throws -> [RawHTTPResponse] {
        try await blocking {
            try requests.map { request in
                let connection = try RawHTTPConnection(port: port, timeout: .seconds(5))
                defer { connection.close() }
                try connection.send(request)
                return try connection.readResponse()
            }
        }
    }

    @Test("same key → same server over 20 connections; 20 keys spread over ≥ 2 of 3 servers, each stable",
        arguments: Algorithm.allCases, ["map-based", "consistent", "consistent sdbm avalanche"])
    func keyedHash(algorithm: Algorithm, hashType: String) async throws {
        let servers = try await TestHTTPServer.start(count: 3)
        let (tidegate, port) = try await Self.start(
            balance: algorithm.balanceLine, hashType: hashType, servers: servers)
        defer { tidegate.stop() }

        let same = try await Self.send(port: port, (0..<20).map { algorithm.request(key: "alice", variant: $0) })
        let keys = (0..<20).map { "key\($0)" }
        let first = try await Self.send(port: port, keys.map { algorithm.request(key: $0, variant: 1) })
        let second = try await Self.send(port: port, keys.map { algorithm.request(key: $0, variant: 2) })

        let label = "\(algorithm.balanceLine), hash-type \(hashType)"
        #expect(same.allSatisfy { $0.status == 200 }, "\(label)")
        #expect(Set(same.map(\.servedBy)).count == 1, "\(label): one key reached \(distribution(same))")
        #expect((first + second).allSatisfy { $0.status == 200 }, "\(label)")
        #expect(first.map(\.servedBy) == second.map(\.servedBy), "\(label): a key changed server between rounds")
        #expect(Set(first.map(\.servedBy)).count >= 2, "\(label): 20 keys all on \(distribution(first))")
    }

    @Test("a request without the key falls back to round robin", arguments: [Algorithm.header, .urlParam])
    func missingKeyIsRoundRobin(algorithm: Algorithm) async throws {
        let servers = try await TestHTTPServer.start(count: 3)
        let (tidegate, port) = try await Self.start(
            balance: algorithm.balanceLine, hashType: "map-based", servers: servers)
        defer { tidegate.stop() }

        let responses = try await Self.send(port: port, (0..<9).compactMap { algorithm.keyless(variant: $0) })

        #expect(responses.allSatisfy { $0.status == 200 })
        #expect(Set(responses.map(\.servedBy)).count == 3, "\(algorithm.balanceLine): \(distribution(responses))")
    }

    @Test(
        "balance source: one client address → one server; several addresses spread",
        arguments: ["map-based", "consistent", "consistent sdbm avalanche"])
    func sourceHash(hashType: String) async throws {
        let servers = try await TestHTTPServer.start(count: 3)
        let (tidegate, port) = try await Self.start(balance: "source", hashType: hashType, servers: servers)
        defer { tidegate.stop() }

        let same = try await HTTPClient.sequential(port: port, count: 20)
        let sources = (2...13).map { "127.0.0.\($0)" }
        let (first, second) = try await blocking {
            let first = try sources.map { try SourceBoundHTTP.servedBy(port: port, source: $0) }
            let second = try sources.map { try SourceBoundHTTP.servedBy(port: port, source: $0) }
            return (first, second)
        }

        #expect(same.allSatisfy { $0.status == 200 })
        #expect(Set(same.map(\.servedBy)).count == 1, "hash-type \(hashType): 127.0.0.1 reached \(distribution(same))")
        #expect(!first.contains(nil), "hash-type \(hashType): \(first)")
        #expect(first == second, "hash-type \(hashType): a source changed server between rounds")
        #expect(Set(first).count >= 2, "hash-type \(hashType): 12 source addresses all on \(Set(first))")
    }
}
