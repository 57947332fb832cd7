import Foundation
import Logging
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
    _ body: (SPOAAgent, MultiThreadedEventLoopGroup) async throws -> Void
) async throws {
    var logger = Logger(label: "spoa-test") { _ in SwiftLogNoOpLogHandler() }
    logger.logLevel = .critical
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

/// A message with arguments.
func message(_ name: String, _ arguments: [(String, SPOPTypedData)] = []) -> SPOPMessage {
    SPOPMessage(name, arguments.map { SPOPKVItem($0.0, $0.1) })
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
