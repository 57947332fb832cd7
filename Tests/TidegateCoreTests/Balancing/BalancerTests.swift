import NIOCore
import Testing
import TidegateConfig

@testable import TidegateCore

@Suite("Balancer")
struct BalancerTests {
    static func servers(_ weights: [Int], backups: Set<Int> = [], maxconn: Int = 0, disabled: Set<Int> = []) -> [Server] {
        weights.enumerated().map { i, weight in
            Server(
                globalIndex: i, id: i + 1, name: "s\(i + 1)", backendName: "be",
                address: try! SocketAddress(ipAddress: "127.0.0.1", port: 8000 + i), addressText: "127.0.0.1:\(8000 + i)",
                weight: weight, maxConnections: maxconn, isBackup: backups.contains(i), disabled: disabled.contains(i))
        }
    }

    static func backend(
        _ servers: [Server], _ algorithm: BalanceAlgorithm = .roundRobin, hashType: HashType = HashType(),
        allBackups: Bool = false
    ) -> Backend {
        Backend(index: 0, name: "be", servers: servers, algorithm: algorithm, hashType: hashType, allBackups: allBackups)
    }

    /// Picks `count` times, releasing each slot at once; returns the names.
    static func picks(
        _ backend: Backend, _ count: Int, states: inout [BalancerState], key: (Int) -> [UInt8]? = { _ in nil }
    ) -> [String] {
        (0..<count).map { n in
            switch states[n % states.count].select(in: backend, hashInput: .init(key(n))) {
            case .server(let server):
                server.releaseSlot()
                return server.name
            case .allFull: return "FULL"
            case .unavailable: return "NONE"
            }
        }
    }

    @Test func smoothWeightedOrderInterleaves() {
        #expect(Backend.smoothWeightedOrder(weights: [5, 1, 1]) == [0, 0, 1, 0, 2, 0, 0])
        #expect(Backend.smoothWeightedOrder(weights: [1, 1, 1]) == [0, 1, 2])
        #expect(Backend.smoothWeightedOrder(weights: [0, 2]) == [1, 1])
        #expect(Backend.smoothWeightedOrder(weights: [0, 0]).isEmpty)
    }

    @Test func roundRobinIsGlobalAcrossEventLoops() {
        let backend = Self.backend(Self.servers([1, 1, 1]))
        // Two loops taking turns still give s1 s2 s3 s1 s2 s3: the order is shared.
        var states = [BalancerState(serverCount: 3), BalancerState(serverCount: 3)]
        #expect(Self.picks(backend, 6, states: &states) == ["s1", "s2", "s3", "s1", "s2", "s3"])
    }

    @Test func weightsAndSkippedServersKeepShares() {
        let servers = Self.servers([1, 3, 1])
        let backend = Self.backend(servers)
        var states = [BalancerState(serverCount: 3)]
        let first = Self.picks(backend, 50, states: &states)
        #expect(first.filter { $0 == "s2" }.count == 30)
        servers[1].setAdminDown(true)
        let second = Self.picks(backend, 40, states: &states)
        #expect(second.filter { $0 == "s1" }.count == 20)
        #expect(second.filter { $0 == "s3" }.count == 20)
    }

    @Test func roundRobinFollowsWeightChangesOnEveryLoop() {
        let servers = Self.servers([1, 1])
        let backend = Self.backend(servers)
        var states = [BalancerState(serverCount: 2), BalancerState(serverCount: 2)]
        #expect(Self.picks(backend, 40, states: &states).filter { $0 == "s2" }.count == 20)
        servers[1].setWeight(3)
        #expect(Self.picks(backend, 40, states: &states).filter { $0 == "s2" }.count == 30)
        servers[1].setWeight(0)
        #expect(Set(Self.picks(backend, 10, states: &states)) == ["s1"])
        servers[1].setWeight(1)
        #expect(Self.picks(backend, 40, states: &states).filter { $0 == "s2" }.count == 20)
    }

    @Test func drainedAndForcedDownServersGetNoNewStreams() {
        let servers = Self.servers([1, 1, 1])
        let backend = Self.backend(servers, .leastConnections)
        var states = [BalancerState(serverCount: 3)]
        servers[0].setDrain(true)
        servers[1].setOperationalState(.stopping)
        #expect(Set(Self.picks(backend, 6, states: &states)) == ["s3"])
        #expect(backend.usableActiveCount == 1)
        servers[2].setOperationalState(.stopped)
        #expect(Self.picks(backend, 1, states: &states) == ["NONE"])
        servers[0].setDrain(false)
        #expect(Set(Self.picks(backend, 3, states: &states)) == ["s1"])
    }

    @Test func capacityChangesWakeQueuedStreams() {
        final class Waiter: QueuedStream, @unchecked Sendable {
            var woken = 0
            func wake() { woken += 1 }
        }
        let servers = Self.servers([1, 1], maxconn: 1)
        let backend = Self.backend(servers)
        _ = servers[0].tryAcquireSlot()
        _ = servers[1].tryAcquireSlot()
        let waiters = [Waiter(), Waiter(), Waiter()]
        for waiter in waiters { backend.queue.enqueue(waiter) }
        servers[0].setMaxConnections(2)
        backend.serverCapacityChanged()
        #expect(waiters.map(\.woken) == [1, 0, 0])
        servers[1].setMaxConnections(0)
        backend.serverCapacityChanged()
        #expect(waiters.map(\.woken) == [1, 1, 1])
        #expect(backend.queue.count == 0)
    }

    @Test func backupsOnlyWhenNoActiveServer() {
        let servers = Self.servers([1, 1, 1], backups: [1, 2])
        var states = [BalancerState(serverCount: 3)]
        #expect(Set(Self.picks(Self.backend(servers), 6, states: &states)) == ["s1"])
        servers[0].setAdminDown(true)
        #expect(Set(Self.picks(Self.backend(servers), 6, states: &states)) == ["s2"])
        #expect(Set(Self.picks(Self.backend(servers, allBackups: true), 6, states: &states)) == ["s2", "s3"])
        servers[1].setAdminDown(true)
        servers[2].setAdminDown(true)
        #expect(Self.picks(Self.backend(servers), 1, states: &states) == ["NONE"])
    }

    @Test func maxconnFullMeansQueue() {
        let servers = Self.servers([1, 1], maxconn: 1)
        let backend = Self.backend(servers)
        var state = BalancerState(serverCount: 2)
        guard case .server(let a) = state.select(in: backend), case .server(let b) = state.select(in: backend) else {
            Issue.record("expected two servers")
            return
        }
        #expect(a !== b)
        guard case .allFull = state.select(in: backend) else {
            Issue.record("expected allFull with both servers at maxconn")
            return
        }
        a.releaseSlot()
        guard case .server(let again) = state.select(in: backend) else {
            Issue.record("expected a server after a slot was released")
            return
        }
        #expect(again === a)
    }

    @Test func leastConnectionsAvoidsTheBusyServer() {
        let servers = Self.servers([1, 1])
        let backend = Self.backend(servers, .leastConnections)
        var state = BalancerState(serverCount: 2)
        _ = servers[0].tryAcquireSlot()
        _ = servers[0].tryAcquireSlot()
        for _ in 0..<5 {
            guard case .server(let chosen) = state.select(in: backend) else { return }
            #expect(chosen.name == "s2")
            chosen.releaseSlot()
        }
    }

    @Test(arguments: [HashType.Method.mapBased, .consistent])
    func hashingIsStableAndSpreads(method: HashType.Method) {
        let servers = Self.servers([1, 1, 1])
        let backend = Self.backend(
            servers, .header(name: "x-user", useDomainOnly: false), hashType: HashType(method: method, avalanche: true))
        var states = [BalancerState(serverCount: 3)]
        let keys = (0..<30).map { Array("user-\($0)".utf8) }
        let first = Self.picks(backend, 30, states: &states) { keys[$0] }
        let second = Self.picks(backend, 30, states: &states) { keys[$0] }
        #expect(first == second)
        #expect(Set(first).count == 3)
        if method == .consistent {
            // Only the keys of the server that left move.
            servers[2].setAdminDown(true)
            let third = Self.picks(backend, 30, states: &states) { keys[$0] }
            for (before, after) in zip(first, third) where before != "s3" {
                #expect(before == after)
            }
        }
    }
}
