import Logging
import NIOCore
import NIOPosix
import Synchronization
import TidegateConfig
import TidegateCore

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
    /// The listener's identity and counters (stats, Lua's `Listener` class).
    public var listener: Listener?

    public init(kind: Kind, backlog: Int, name: String?, listener: Listener? = nil) {
        self.kind = kind
        self.backlog = backlog
        self.name = name
        self.listener = listener
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
    /// Listening channels per frontend name (for a frontend's `maxconn`).
    private let channelsByFrontend = Mutex<[String: [any Channel]]>([:])
    /// Why accepting is paused: the operator (SIGTTOU), the global limit, frontend limits, the Lua API
    /// (`Proxy:pause()`).
    private let pauses = Mutex<PauseReasons>(PauseReasons())

    private struct PauseReasons {
        var manual = false
        var global = false
        var frontends: Set<String> = []
        var requested: Set<String> = []

        func isPaused(_ frontend: String) -> Bool {
            manual || global || frontends.contains(frontend) || requested.contains(frontend)
        }
    }
    /// Listening descriptors by address key, offered to the next process on reload.
    private let descriptors = Mutex<[ListenerHandoff.Entry]>([])
    /// The descriptor of each adopted listening channel (to stop offering it once the channel is closed).
    private let descriptorsByChannel = Mutex<[ObjectIdentifier: Int32]>([:])
    /// Sockets received from the previous process, not yet used.
    private let inherited: Mutex<[String: [Int32]]>
    private let logger: Logger

    init(logger: Logger, inherited: [ListenerHandoff.Entry] = []) {
        self.logger = logger
        var byKey: [String: [Int32]] = [:]
        for entry in inherited { byKey[entry.key, default: []].append(entry.fd) }
        self.inherited = Mutex(byKey)
    }

    private func takeInherited(_ key: String) -> [Int32] {
        inherited.withLock { $0.removeValue(forKey: key) ?? [] }
    }

    /// Closes inherited sockets this configuration does not listen on any more.
    func closeUnusedInherited() {
        let unused = inherited.withLock { table -> [Int32] in
            defer { table.removeAll() }
            return table.values.flatMap { $0 }
        }
        for fd in unused { Glibc.close(fd) }
    }

    /// The listening sockets, for `ListenerHandoff`.
    var handoffEntries: [ListenerHandoff.Entry] { descriptors.withLock { $0 } }

    private func adopt(_ fd: Int32, key: String, bootstrap: ServerBootstrap) async throws -> any Channel {
        let channel: any Channel
        do {
            channel = try await bootstrap.withBoundSocket(fd).get()
        } catch {
            Glibc.close(fd)
            throw error
        }
        channels.withLock { $0.append(channel) }
        descriptors.withLock { $0.append(ListenerHandoff.Entry(key: key, fd: fd)) }
        descriptorsByChannel.withLock { $0[ObjectIdentifier(channel)] = fd }
        return channel
    }

    private func register(_ channel: any Channel, frontend: String) {
        channelsByFrontend.withLock { $0[frontend, default: []].append(channel) }
    }

    /// Connects the `maxconn` admission controls to these listeners. Call once before binding.
    func installAdmission(runtime: ProxyRuntime) {
        runtime.admission.install(
            pause: { [self] in updatePauses { $0.global = true } },
            resume: { [self] in updatePauses { $0.global = false } })
        for frontend in runtime.frontends {
            let name = frontend.name
            frontend.admission.install(
                pause: { [self] in updatePauses { $0.frontends.insert(name) } },
                resume: { [self] in updatePauses { $0.frontends.remove(name) } })
        }
    }

    /// Pauses or resumes one frontend's listeners at the Lua API's request (`Proxy:pause()`/`resume()`).
    func setRequestedPause(_ paused: Bool, frontend: String) {
        updatePauses { reasons in
            if paused {
                reasons.requested.insert(frontend)
            } else {
                reasons.requested.remove(frontend)
            }
        }
    }

    /// Closes one frontend's listening sockets for good (`Proxy:stop()`); its connections go on.
    func stop(frontend: String) {
        let closing = channelsByFrontend.withLock { $0.removeValue(forKey: frontend) ?? [] }
        let identifiers = Set(closing.map { ObjectIdentifier($0) })
        channels.withLock { $0.removeAll { identifiers.contains(ObjectIdentifier($0)) } }
        let fds = descriptorsByChannel.withLock { table in
            Set(identifiers.compactMap { table.removeValue(forKey: $0) })
        }
        descriptors.withLock { $0.removeAll { fds.contains($0.fd) } }
        for channel in closing { channel.close(promise: nil) }
        logger.info("listeners stopped", metadata: ["tg.frontend": "\(frontend)"])
    }

    /// Applies a change of pause reasons to every listener whose state changes.
    private func updatePauses(_ change: (inout PauseReasons) -> Void) {
        let (before, after) = pauses.withLock { reasons -> (PauseReasons, PauseReasons) in
            let old = reasons
            change(&reasons)
            return (old, reasons)
        }
        let byFrontend = channelsByFrontend.withLock { $0 }
        for (frontend, list) in byFrontend {
            let wasPaused = before.isPaused(frontend)
            let isPaused = after.isPaused(frontend)
            guard wasPaused != isPaused else { continue }
            for channel in list {
                if isPaused {
                    channel.setOption(.autoRead, value: false).whenFailure { _ in }
                } else {
                    channel.setOption(.autoRead, value: true).whenSuccess { channel.read() }
                }
            }
        }
    }

    /// Binds `address` for `frontend`; `makeHandler` builds the stream handler of an accepted connection.
    func bind(
        _ address: ListenAddress, frontend: FrontendRuntime, runtime: ProxyRuntime, loops: LoopDirectory,
        group: MultiThreadedEventLoopGroup
    ) async throws {
        let listener = address.listener
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try Self.setUpAccepted(channel, frontend: frontend, listener: listener, runtime: runtime, loops: loops)
            }
        }
        switch address.kind {
        case .inet(let socketAddress):
            // One socket per loop; sockets inherited from the previous process come first.
            let key = ListeningSocket.key(for: socketAddress)
            var fds = takeInherited(key)
            while fds.count < loops.all.count {
                fds.append(try ListeningSocket.makeInet(socketAddress, backlog: address.backlog))
            }
            for (i, fd) in fds.enumerated() {
                let loop = loops.all[i % loops.all.count]
                let bootstrap = ServerBootstrap(group: loop.eventLoop, childGroup: loop.eventLoop)
                    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    // One read per readiness event: a second read would almost always be EAGAIN.
                    .childChannelOption(.maxMessagesPerRead, value: 1)
                    .childChannelInitializer(initializer)
                register(try await adopt(fd, key: key, bootstrap: bootstrap), frontend: frontend.name)
            }
        case .unix(let path, let mode):
            let key = "unix:\(path)"
            var fds = takeInherited(key)
            if fds.isEmpty { fds = [try ListeningSocket.makeUnix(path: path, mode: mode, backlog: address.backlog)] }
            for fd in fds {
                let bootstrap = ServerBootstrap(group: loops.all[0].eventLoop, childGroup: group)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    .childChannelInitializer(initializer)
                register(try await adopt(fd, key: key, bootstrap: bootstrap), frontend: frontend.name)
            }
        case .inherited(let fd):
            let bootstrap = ServerBootstrap(group: loops.all[0].eventLoop, childGroup: group)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer(initializer)
            let channel = try await bootstrap.withBoundSocket(fd).get()
            channels.withLock { $0.append(channel) }
            register(channel, frontend: frontend.name)
        }
        logger.debug("listening", metadata: ["tg.frontend": "\(frontend.name)", "tg.address": "\(address)"])
    }

    private static func setUpAccepted(
        _ channel: any Channel, frontend: FrontendRuntime, listener: Listener?, runtime: ProxyRuntime,
        loops: LoopDirectory
    ) throws {
        runtime.connectionOpened()
        frontend.connectionOpened()
        listener?.connectionOpened()
        let loop = loops.context(for: channel.eventLoop)
        let stream = StreamContext(
            frontendName: frontend.name, clientAddress: channel.remoteAddress, localAddress: channel.localAddress,
            directory: runtime)
        stream.listener = listener
        stream.samples.scriptHost = loop.lua
        guard frontend.rules.acceptConnection(stream: stream) else {
            // `tcp-request connection reject`: closed before anything is read, as HAProxy does.
            listener?.connectionClosed()
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

    /// Stops accepting (connections wait in the kernel backlog) — SIGTTOU, and before the
    /// sockets are handed to a new process. The returned future completes once every listener is paused.
    @discardableResult
    func pause() -> EventLoopFuture<Void>? {
        pauses.withLock { $0.manual = true }
        let all = channels.withLock { $0 }
        guard let first = all.first else { return nil }
        let paused = all.map { $0.setOption(.autoRead, value: false) }
        return EventLoopFuture.andAllComplete(paused, on: first.eventLoop)
    }

    /// Accepts again after `pause()` — SIGTTIN.
    func resume() {
        updatePauses { $0.manual = false }
    }

    /// Closes every listening socket.
    func close() async {
        let all = channels.withLock { list -> [any Channel] in
            defer { list.removeAll() }
            return list
        }
        descriptors.withLock { $0.removeAll() }
        descriptorsByChannel.withLock { $0.removeAll() }
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
