import NIOCore
import TidegateHTTP

/// Per-client-connection information that rules, fetches and logs read.
final class StreamContext {
    let clientAddress: SocketAddress?
    let localAddress: SocketAddress?
    let acceptedAt: NIODeadline
    let acceptedWallClock: Int64
    var backendName: String?
    var serverName: String?
    var response: HTTPHead?

    init(clientAddress: SocketAddress?, localAddress: SocketAddress?) {
        self.clientAddress = clientAddress
        self.localAddress = localAddress
        self.acceptedAt = .now()
        self.acceptedWallClock = WallClock.microseconds()
    }

    func beginTransaction() {}
    func endTransaction() {
        backendName = nil
        serverName = nil
        response = nil
    }
}
