import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opens the client connections of the Lua I/O classes on the caller's event loop, and turns connection errors
/// into the short texts scripts receive ("connection refused", "timeout"...).
enum LuaIOConnector {
    /// Client TLS for a connection: the context and the server name sent as SNI (none when nil).
    struct TLS: Sendable {
        var context: NIOSSLContext
        var serverName: String?
    }

    /// Connects to `target` on `eventLoop` with `handler` as the only handler of the pipeline, behind a TLS client
    /// handler when `tls` is given (the future then succeeds once TCP is connected, before the handshake). Call on
    /// `eventLoop`.
    static func connect<Handler: ChannelHandler>(
        to target: LuaConnectTarget, on eventLoop: EventLoop, timeout: TimeAmount, tls: TLS? = nil, handler: Handler
    ) -> EventLoopFuture<Channel> {
        let bound = NIOLoopBound(handler, eventLoop: eventLoop)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let tlsHandler = try LuaTLS.clientHandler(context: tls.context, serverName: tls.serverName)
                        try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    }
                    try channel.pipeline.syncOperations.addHandler(bound.value)
                }
            }
        switch target {
        case .address(let address):
            return bootstrap.connect(to: address)
        case .host(let host, let port):
            return bootstrap.connect(host: host, port: port)
        case .unix(let path):
            return bootstrap.connect(unixDomainSocketPath: path)
        }
    }

    /// The text of a connection error.
    static func describe(_ error: Error) -> String {
        if let text = LuaTLS.describe(error) {
            return text
        }
        switch error {
        case let error as IOError:
            return self.describe(errno: error.errnoCode)
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first {
                return self.describe(first.error)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return "cannot resolve '\(error.host)'"
            }
            return "cannot connect"
        case ChannelError.connectTimeout:
            return "timeout"
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof:
            return "closed"
        case is SocketAddressError:
            return "invalid address"
        default:
            return "cannot connect"
        }
    }

    static func describe(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ETIMEDOUT: return "timeout"
        case ECONNRESET: return "connection reset by peer"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case ENOENT: return "no such file or directory"
        case EACCES: return "permission denied"
        default:
            guard let message = strerror(code) else { return "error \(code)" }
            return String(cString: message).lowercased()
        }
    }
}
