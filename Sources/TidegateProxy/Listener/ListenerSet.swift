import Logging
import NIOCore
import NIOPosix
import Synchronization
import TidegateConfig

#if canImport(Glibc)
import Glibc
#endif

/// A listening address of a frontend, resolved for binding.
public struct ListenAddress: Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case inet(SocketAddress)
        case unix(path: String, mode: Int?)
        /// An inherited, already bound and listening socket (`fd@N`).
        case inherited(Int32)
    }

    public var kind: Kind
    public var backlog: Int
    public var name: String?

    public init(kind: Kind, backlog: Int, name: String?) {
        self.kind = kind
        self.backlog = backlog
        self.name = name
    }

    public var description: String {
        switch kind {
        case .inet(let address): return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .unix(let path, _): return "unix@\(path)"
        case .inherited(let fd): return "fd@\(fd)"
        }
    }
}

/// Every listening socket of the process. TCP addresses get one socket per event loop
/// (`SO_REUSEPORT`), so a connection is accepted and served on the same loop with no hop; unix and
/// inherited sockets have one socket whose connections are spread over the loops.
final class ListenerSet: Sendable {
    private let channels = Mutex<[any Channel]>([])
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Binds `address` for `frontend`; `makeHandler` builds the stream handler of an accepted connection.
    func bind(
        _ address: ListenAddress, frontend: FrontendRuntime, runtime: ProxyRuntime, loops: LoopDirectory,
        group: MultiThreadedEventLoopGroup
    ) async throws {
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try Self.setUpAccepted(channel, frontend: frontend, runtime: runtime, loops: loops)
            }
        }
        switch address.kind {
        case .inet(let socketAddress):
            for loop in loops.all {
                let bootstrap = ServerBootstrap(group: loop.eventLoop, childGroup: loop.eventLoop)
                    .serverChannelOption(.backlog, value: Int32(address.backlog))
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SO_REUSEPORT), value: 1)
                    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    // One read per readiness event: a second read would almost always be EAGAIN.
                    .childChannelOption(.maxMessagesPerRead, value: 1)
                    .childChannelInitializer(initializer)
                let channel = try await bootstrap.bind(to: socketAddress).get()
                channels.withLock { $0.append(channel) }
            }
        case .unix(let path, let mode):
            let bootstrap = ServerBootstrap(group: loops.all[0].eventLoop, childGroup: group)
                .serverChannelOption(.backlog, value: Int32(address.backlog))
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer(initializer)
            let channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            if let mode { chmod(path, mode_t(mode)) }
            channels.withLock { $0.append(channel) }
        case .inherited(let fd):
            let bootstrap = ServerBootstrap(group: loops.all[0].eventLoop, childGroup: group)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer(initializer)
            let channel = try await bootstrap.withBoundSocket(fd).get()
            channels.withLock { $0.append(channel) }
        }
        logger.debug("listening", metadata: ["tg.frontend": "\(frontend.name)", "tg.address": "\(address)"])
    }

    private static func setUpAccepted(
        _ channel: any Channel, frontend: FrontendRuntime, runtime: ProxyRuntime, loops: LoopDirectory
    ) throws {
        guard runtime.admitConnection() else {
            channel.close(promise: nil)
            return
        }
        guard frontend.admitConnection() else {
            runtime.connectionClosed()
            channel.close(promise: nil)
            return
        }
        let loop = loops.context(for: channel.eventLoop)
        let stream = StreamContext(
            frontendName: frontend.name, clientAddress: channel.remoteAddress, localAddress: channel.localAddress,
            directory: runtime)
        guard frontend.rules.acceptConnection(stream: stream) else {
            // `tcp-request connection reject`: closed before anything is read, as HAProxy does.
            frontend.connectionClosed()
            runtime.connectionClosed()
            channel.close(promise: nil)
            return
        }
        frontend.log?.emitConnect(stream: stream)
        switch frontend.mode {
        case .http:
            try channel.pipeline.syncOperations.addHandler(HTTPSession(frontend: frontend, loop: loop, stream: stream))
        case .tcp:
            try channel.pipeline.syncOperations.addHandler(TCPSession(frontend: frontend, loop: loop, stream: stream))
        }
    }

    /// Stops accepting (connections wait in the kernel backlog) — SIGTTOU.
    func pause() {
        for channel in channels.withLock({ $0 }) {
            channel.setOption(.autoRead, value: false).whenFailure { _ in }
        }
    }

    /// Accepts again after `pause()` — SIGTTIN.
    func resume() {
        for channel in channels.withLock({ $0 }) {
            channel.setOption(.autoRead, value: true).whenSuccess { channel.read() }
        }
    }

    /// Closes every listening socket.
    func close() async {
        let all = channels.withLock { list -> [any Channel] in
            defer { list.removeAll() }
            return list
        }
        for channel in all {
            try? await channel.close()
        }
    }
}

/// Finds the `LoopContext` of an event loop.
final class LoopDirectory: Sendable {
    let all: [LoopContext]
    private let byLoop: [ObjectIdentifier: Int]

    init(_ contexts: [LoopContext]) {
        all = contexts
        var map: [ObjectIdentifier: Int] = [:]
        for (i, context) in contexts.enumerated() { map[ObjectIdentifier(context.eventLoop)] = i }
        byLoop = map
    }

    func context(for eventLoop: any EventLoop) -> LoopContext {
        all[byLoop[ObjectIdentifier(eventLoop)] ?? 0]
    }
}
