import Logging
import NIOCore
import NIOPosix
import Synchronization
import TidegateConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The runtime API's listeners (HAProxy's stats sockets): a UNIX socket (a stale socket file is replaced; the file
/// is removed when the server closes, unless another process replaced it meanwhile) or a TCP address per
/// `stats socket` line. Accepted connections are spread over the event loops; each runs a `CLIChannelHandler`
/// with its socket's level.
public final class RuntimeAPIServer: Sendable {
    /// A socket could not be opened.
    public struct BindError: Error, CustomStringConvertible {
        /// The address as the configuration wrote it.
        public let address: String
        public let reason: String
        public var description: String { "Starting proxy GLOBAL: cannot bind socket (\(reason)) [\(address)]" }
    }

    private struct Bound: Sendable {
        let channel: any Channel
        /// A UNIX socket's path and the identity of its file, to remove it only if it is still ours.
        let file: (path: String, device: UInt64, inode: UInt64)?
    }

    private let configuration: RuntimeAPIConfiguration
    private let table: CLICommandTable
    private let logger: Logger
    private let bound = Mutex<[Bound]>([])

    public init(configuration: RuntimeAPIConfiguration, table: CLICommandTable, logger: Logger) {
        self.configuration = configuration
        self.table = table
        self.logger = logger
    }

    /// Opens every socket; throws the first failure (the sockets opened before are closed).
    public func start(on group: any EventLoopGroup) async throws {
        for socket in configuration.sockets {
            do {
                let entry = try await bind(socket, group: group)
                bound.withLock { $0.append(entry) }
                logger.info(
                    "runtime API listening",
                    metadata: ["tg.cli.address": "\(socket.address)", "tg.cli.level": "\(socket.level)"])
            } catch {
                await close()
                throw BindError(address: "\(socket.address)", reason: Self.reason(error))
            }
        }
    }

    /// Stops listening and removes the UNIX socket files. Connections in progress go on until they end.
    public func close() async {
        let entries = bound.withLock { entries in
            defer { entries.removeAll() }
            return entries
        }
        for entry in entries {
            try? await entry.channel.close()
            if let file = entry.file, let identity = Self.fileIdentity(file.path),
                identity == (file.device, file.inode)
            {
                unlink(file.path)
            }
        }
    }

    private func bind(_ socket: StatsSocketConfiguration, group: any EventLoopGroup) async throws -> Bound {
        let table = self.table
        let level = socket.level
        let timeout = configuration.idleTimeout
        let maximum = configuration.maximumRequestSize
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        CLIChannelHandler(
                            table: table, level: level, idleTimeout: timeout, maximumRequestSize: maximum))
                }
            }
        switch socket.address {
        case .unix(let path):
            let channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            if let mode = socket.mode { chmod(path, mode_t(mode)) }
            let identity = Self.fileIdentity(path)
            return Bound(channel: channel, file: identity.map { (path, $0.device, $0.inode) })
        case .inet(let host, let port):
            guard case .single(let number)? = port else { throw SocketAddressError.unsupported }
            let reusePort = ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SO_REUSEPORT)
            bootstrap = bootstrap.serverChannelOption(reusePort, value: 1)
            let address: SocketAddress
            switch host {
            case .ipv4(let text), .ipv6(let text): address = try SocketAddress(ipAddress: text, port: number)
            case .hostname(let name): address = try SocketAddress.makeAddressResolvingHost(name, port: number)
            }
            return Bound(channel: try await bootstrap.bind(to: address).get(), file: nil)
        case .fileDescriptor:
            throw SocketAddressError.unsupported
        }
    }

    private static func fileIdentity(_ path: String) -> (device: UInt64, inode: UInt64)? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }

    private static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }
}
