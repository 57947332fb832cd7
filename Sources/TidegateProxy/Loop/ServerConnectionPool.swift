import NIOCore
import TidegateCore

/// Idle keep-alive connections to servers, per server, for one event loop (HAProxy's idle
/// connection lists). Most recently used first; closed or purged when idle too long.
final class ServerConnectionPool {
    /// Idle connections per server (indexed by `Server.globalIndex`).
    private var idle: [[ServerConnection]]
    /// Every open connection of the loop, idle or in use (`shutdownStreams`).
    private var open: [ObjectIdentifier: ServerConnection] = [:]
    private let eventLoop: any EventLoop
    private var purgeTask: Scheduled<Void>?
    /// How long a connection may stay idle (HAProxy's `pool-purge-delay` default).
    static let idleTimeout: TimeAmount = .seconds(5)
    /// Most idle connections kept per server per loop.
    static let maxIdlePerServer = 256

    init(serverCount: Int, eventLoop: any EventLoop) {
        self.idle = Array(repeating: [], count: serverCount)
        self.eventLoop = eventLoop
    }

    /// Wraps a new connection to `server` at `address` and keeps track of it until it closes.
    func adopt(
        channel: any Channel, server: Server, address: ServerAddress, handler: ServerSideHandler
    ) -> ServerConnection {
        let connection = ServerConnection(channel: channel, server: server, address: address, handler: handler)
        connection.tracker = self
        open[ObjectIdentifier(connection)] = connection
        return connection
    }

    /// Called by a closing connection.
    func forget(_ connection: ServerConnection) {
        open[ObjectIdentifier(connection)] = nil
    }

    /// Ends the streams using one of `servers` (HAProxy's `srv_shutdown_streams`) and closes their idle
    /// connections.
    func shutdownStreams(using servers: Set<ObjectIdentifier>) {
        for connection in Array(open.values) where servers.contains(ObjectIdentifier(connection.server)) {
            if connection.isParked {
                remove(connection)
                connection.close()
            } else if let delegate = connection.delegate {
                delegate.serverConnectionKilled(connection)
            } else {
                connection.close()
            }
        }
    }

    /// Takes the most recently parked connection to `server`, if any. Connections to an address the server no
    /// longer has (`Server:set_addr()`) are closed, never reused.
    func take(for server: Server) -> ServerConnection? {
        let current = server.currentAddress
        while let connection = idle[server.globalIndex].popLast() {
            if connection.address !== current {
                connection.close()
            } else if !connection.isClosed {
                connection.leave()
                return connection
            }
        }
        return nil
    }

    /// Parks a connection for reuse; closes it if the pool is full or the server moved since it was opened.
    func park(_ connection: ServerConnection) {
        let index = connection.server.globalIndex
        guard idle[index].count < Self.maxIdlePerServer, !connection.isClosed,
            connection.address === connection.server.currentAddress
        else {
            connection.close()
            return
        }
        connection.park(in: self, at: NIODeadline.now())
        idle[index].append(connection)
        if purgeTask == nil { schedulePurge() }
    }

    /// Removes a parked connection that closed or misbehaved.
    func remove(_ connection: ServerConnection) {
        let index = connection.server.globalIndex
        if let position = idle[index].firstIndex(where: { $0 === connection }) {
            idle[index].remove(at: position)
        }
    }

    /// Closes the idle connections of `servers` that go to an address the server no longer has (HAProxy closes them
    /// when the address changes).
    func closeStaleIdleConnections(of servers: Set<ObjectIdentifier>) {
        for index in idle.indices {
            guard let server = idle[index].first?.server, servers.contains(ObjectIdentifier(server)) else { continue }
            let current = server.currentAddress
            let stale = idle[index].filter { $0.address !== current }
            guard !stale.isEmpty else { continue }
            idle[index].removeAll { $0.address !== current }
            for connection in stale { connection.close() }
        }
    }

    /// Closes every idle connection (soft stop).
    func closeAll() {
        for list in idle { for connection in list { connection.close() } }
        idle = idle.map { _ in [] }
    }

    private func schedulePurge() {
        purgeTask = eventLoop.assumeIsolated().scheduleTask(in: Self.idleTimeout) { [self] in
            purgeTask = nil
            let limit = NIODeadline.now() - Self.idleTimeout
            var remaining = false
            for index in idle.indices {
                let expired = idle[index].filter { $0.parkedAt <= limit }
                if !expired.isEmpty {
                    idle[index].removeAll { $0.parkedAt <= limit }
                    for connection in expired { connection.close() }
                }
                if !idle[index].isEmpty { remaining = true }
            }
            if remaining { schedulePurge() }
        }
    }
}
