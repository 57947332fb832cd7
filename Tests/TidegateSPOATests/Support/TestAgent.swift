import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SPOP
import TidegateSPOA

/// Where the Lua fixtures are (next to the tests).
enum Fixtures {
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Fixtures").path
    }()

    static func path(_ name: String) -> String { directory + "/" + name }
}

/// Runs `body` against an agent started in this process on 127.0.0.1 (port 0) with the fixture handlers,
/// then shuts it down.
func withAgent(
    workers: Int = 2,
    scripts: [String] = [Fixtures.path("agent_handlers.lua")],
    limits: SPOAConfiguration.Limits = .init(handlerTimeout: .milliseconds(300), luaMaxMemory: 32 << 20),
    listen: [SPOAListenAddress] = [.tcp(host: "127.0.0.1", port: 0)],
    maxInFlight: Int = 256,
    log: LogRecorder? = nil,
    _ body: (SPOAAgent, MultiThreadedEventLoopGroup) async throws -> Void
) async throws {
    var logger: Logger
    if let log {
        logger = Logger(label: "spoa-test") { _ in log }
        logger.logLevel = log.logLevel
    } else {
        logger = Logger(label: "spoa-test") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
    }
    let configuration = SPOAConfiguration(
        listen: listen, workers: workers, scripts: scripts, limits: limits, maxInFlightPerConnection: maxInFlight,
        shutdownGracePeriod: .seconds(2))
    let agent = try await SPOAAgent.start(configuration: configuration, logger: logger)
    let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    do {
        try await body(agent, clients)
    } catch {
        await agent.shutdown()
        try? await clients.shutdownGracefully()
        throw error
    }
    await agent.shutdown()
    try await clients.shutdownGracefully()
}

extension SPOAAgent {
    /// A connected client that has done the HELLO exchange.
    func client(_ group: any EventLoopGroup, hello: Bool = true) async throws -> SPOPTestClient {
        let client = try await SPOPTestClient.connect(to: localAddresses[0], group: group)
        if hello { try await client.hello() }
        return client
    }
}

/// Keeps the agent's log messages for a test to look at.
struct LogRecorder: LogHandler {
    private let storage = NIOLockedValueBox<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    var messages: [String] { storage.withLockedValue { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        storage.withLockedValue { $0.append("\(event.level): \(event.message)") }
    }
}

/// A message with arguments.
func message(_ name: String, _ arguments: [(String, SPOPTypedData)] = []) -> SPOPMessage {
    SPOPMessage(name, arguments.map { SPOPKVItem($0.0, $0.1) })
}

/// What the fixtures' "all-types" handlers send (a Lua integer cannot reach UINT64 values above Int64.max).
func allTypesActions(uint64: UInt64) -> [SPOPAction] {
    [
        SPOPAction(set: "null", scope: .transaction, to: .null),
        SPOPAction(set: "boolean", scope: .transaction, to: .bool(true)),
        SPOPAction(set: "int32", scope: .transaction, to: .int32(.min)),
        SPOPAction(set: "uint32", scope: .transaction, to: .uint32(.max)),
        SPOPAction(set: "int64", scope: .transaction, to: .int64(.min)),
        SPOPAction(set: "uint64", scope: .transaction, to: .uint64(uint64)),
        SPOPAction(set: "ipv4", scope: .session, to: .ipv4(SPOPIPv4Address(192, 0, 2, 7))),
        SPOPAction(set: "ipv6", scope: .request, to: .ipv6(SPOPIPv6Address(high: 0x2001_0db8 << 32, low: 1))),
        SPOPAction(set: "str", scope: .response, to: SPOPTypedData(string: "héllo")),
        SPOPAction(set: "bin", scope: .process, to: SPOPTypedData(binary: [0, 1, 255])),
        SPOPAction(unset: "gone", scope: .transaction),
    ]
}

/// Set-var actions as (scope, name, value) with the name as text, for comparisons.
func setVars(_ actions: [SPOPAction]) -> [String: SPOPTypedData] {
    var result: [String: SPOPTypedData] = [:]
    for case .setVar(let scope, let name, let value) in actions {
        result["\(scope).\(String(buffer: name))"] = value
    }
    return result
}

extension SPOPTypedData {
    /// The text of a STRING/BINARY value.
    var text: String? { bytes.map { String(buffer: $0) } }
}
