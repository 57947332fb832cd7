import Foundation
import NIOCore
import TidegateConfig
import TidegateCore

@testable import TidegateRuntime

/// A small running configuration for the commands: frontend `fe` (one listener, maxconn 100), backend `be`
/// (roundrobin: s1 weight 10 with a forced id 7, s2 weight 1 maxconn 5 on a host name, backup b1), listen `st`
/// (static-rr: t1), and map/ACL files in a scratch directory (`hosts.map` as a map, `block.lst` as an ACL,
/// `both.lst` as both).
final class RuntimeFixture {
    final class Control: ProxyControl, @unchecked Sendable {
        func setPaused(_ paused: Bool, frontend: ProxyDescriptor) {}
        func stop(frontend: ProxyDescriptor) {}
        func shutdownStreams(using servers: [Server]) {}
        func addressChanged(of server: Server) {}
        func connections(of frontend: ProxyDescriptor) -> (current: Int, total: Int) { (3, 42) }
        var processInformation: ProcessInformation {
            ProcessInformation(
                threads: 2, maxConnections: 100, currentConnections: 3, totalConnections: 42, listeners: 1,
                node: "node1")
        }
    }

    let catalog: ProxyCatalog
    let backend: Backend
    let staticBackend: Backend
    let files = MapFileCache()
    let directory: String
    let environment: RuntimeAPIEnvironment

    init(attachControl: Bool = true) throws {
        func server(_ index: Int, _ name: String, id: Int? = nil, weight: Int, maxconn: Int = 0, backup: Bool = false,
                    text: String? = nil) -> Server
        {
            Server(
                globalIndex: index, id: id ?? index + 1, name: name, backendName: "be",
                address: try! SocketAddress(ipAddress: "127.0.0.1", port: 9000 + index),
                addressText: text ?? "127.0.0.1:\(9000 + index)", weight: weight, maxConnections: maxconn,
                isBackup: backup, disabled: false, hasForcedID: id != nil)
        }
        backend = Backend(
            index: 0, name: "be",
            servers: [
                server(0, "s1", id: 7, weight: 10), server(1, "s2", weight: 1, maxconn: 5, text: "localhost:9001"),
                server(2, "b1", weight: 1, backup: true),
            ], algorithm: .roundRobin, hashType: HashType(), allBackups: false)
        staticBackend = Backend(
            index: 1, name: "st", servers: [server(0, "t1", weight: 4)], algorithm: .staticRoundRobin,
            hashType: HashType(), allBackups: false)
        let listener = Listener(frontendName: "fe", id: 1, name: "sock-1", addressText: "127.0.0.1:8080")
        catalog = ProxyCatalog(proxies: [
            ProxyDescriptor(
                uuid: 1, name: "fe", capabilities: .frontend, mode: .http, backend: nil, listeners: [listener],
                maxConnections: 100),
            ProxyDescriptor(
                uuid: 2, name: "be", capabilities: .backend, mode: .http, backend: backend, listeners: [],
                maxConnections: 0),
            ProxyDescriptor(
                uuid: 5, name: "st", capabilities: .listen, mode: .tcp, backend: staticBackend, listeners: [],
                maxConnections: 0, hasForcedID: true),
        ])
        if attachControl { catalog.attach(Control()) }
        directory = NSTemporaryDirectory() + "tg-runtime-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "a.example one\nb.example two\n".write(toFile: directory + "/hosts.map", atomically: true, encoding: .utf8)
        try "/secret\n/private\n".write(toFile: directory + "/block.lst", atomically: true, encoding: .utf8)
        try "k1 v1\n".write(toFile: directory + "/both.lst", atomically: true, encoding: .utf8)
        _ = try files.reference(path: directory + "/hosts.map", asMap: true)
        _ = try files.reference(path: directory + "/block.lst", asMap: false)
        _ = try files.reference(path: directory + "/both.lst", asMap: true)
        _ = try files.reference(path: directory + "/both.lst", asMap: false)
        environment = RuntimeAPIEnvironment(catalog: catalog, patternFiles: files, baseDirectory: directory)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    lazy var table = RuntimeCommands.table(environment)

    /// The answer to `line` (one request) at `level`.
    func answer(_ line: String, level: CLIAccessLevel = .admin, payload: String? = nil) -> String {
        let request = CLIRequest(words: CLICommandLine.words(Array(line.utf8)), payload: payload, level: level)
        guard case .answer(let text) = table.resolve(request) else { return "<not an answer>" }
        return text
    }

    func server(_ name: String) -> Server { backend.server(named: name)! }
}
