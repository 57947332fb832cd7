import NIOCore
import Testing

@testable import TidegateCore

/// Weight, `maxconn` and state changes made at run time (HAProxy's CLI/Lua parsers and messages).
@Suite("Server run-time changes")
struct ServerRuntimeChangesTests {
    func server(weight: Int = 10, maxconn: Int = 0) -> Server {
        Server(
            globalIndex: 0, id: 1, name: "s1", backendName: "be",
            address: try! SocketAddress(ipAddress: "127.0.0.1", port: 8000), addressText: "127.0.0.1:8000",
            weight: weight, maxConnections: maxconn, isBackup: false, disabled: false)
    }

    @Test func weightChangesAsHAProxyParsesThem() {
        let server = self.server()
        #expect(server.changeWeight("5", dynamicWeights: true) == nil)
        #expect(server.weight == 5)
        #expect(server.changeWeight("50%", dynamicWeights: true) == nil)
        #expect(server.weight == 5)
        #expect(server.changeWeight("1000%", dynamicWeights: true) == nil)
        #expect(server.weight == 100)
        #expect(server.changeWeight("", dynamicWeights: true) == "Require <weight> or <weight%>.")
        #expect(server.changeWeight("abc", dynamicWeights: true) == "Empty weight string empty or preceded by garbage")
        #expect(
            server.changeWeight("257", dynamicWeights: true)
                == "Absolute weight can only be between 0 and 256 inclusive.")
        #expect(server.changeWeight("-1%", dynamicWeights: true) == "Relative weight must be positive.")
        #expect(server.changeWeight("5x", dynamicWeights: true) == "Trailing garbage in weight string")
        #expect(server.weight == 100)
        // Static algorithms: only 0 and the configured weight.
        #expect(
            server.changeWeight("7", dynamicWeights: false)
                == "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.")
        #expect(server.changeWeight("0%", dynamicWeights: false) == nil)
        #expect(server.weight == 0)
        #expect(server.isDraining && !server.isUsable)
        #expect(server.changeWeight("100%", dynamicWeights: false) == nil)
        #expect(server.weight == 10 && server.isUsable)
    }

    @Test func maxconnChanges() {
        let server = self.server(maxconn: 1)
        #expect(server.tryAcquireSlot())
        #expect(!server.tryAcquireSlot())
        #expect(server.changeMaxConnections("2") == nil)
        #expect(server.maxConnections == 2)
        #expect(server.tryAcquireSlot())
        #expect(server.changeMaxConnections("") == "Require <maxconn>.")
        #expect(server.changeMaxConnections("x") == "maxconn string empty or preceded by garbage")
        #expect(server.changeMaxConnections("3 ") == "Trailing garbage in maxconn string")
        #expect(server.changeMaxConnections("0") == nil)
        #expect(server.hasFreeSlot)
    }

    @Test func administrativeAndOperationalStatesCombine() {
        let server = self.server()
        #expect(server.isUsable && server.isUp && server.operationalState == .running)
        server.setDrain(true)
        #expect(!server.isUsable && server.isUp && server.isDraining && server.hasDrainFlag)
        server.setAdminDown(true)
        server.setDrain(false)
        #expect(!server.isUsable && !server.isUp && server.isAdminDown)
        server.setAdminDown(false)
        server.setOperationalState(.stopping)
        #expect(!server.isUsable && !server.isUp && server.operationalState == .stopping)
        server.setOperationalState(.stopped)
        #expect(!server.isUsable && server.operationalState == .stopped)
        server.setUp(true)
        #expect(server.isUsable && server.operationalState == .running)
    }
}
