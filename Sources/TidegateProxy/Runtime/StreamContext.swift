import NIOCore
import TidegateCore
import TidegateHTTP

/// Per-client-connection state shared by the stream handler, rules, fetches and logs. The sample
/// context holds the current request and response heads, so rules edit them in place.
final class StreamContext {
    let samples: SampleContext
    let acceptedAt: NIODeadline
    let acceptedWallClock: Int64
    /// The listener that accepted the connection (its counters drop when the connection closes).
    var listener: Listener?

    init(frontendName: String, clientAddress: SocketAddress?, localAddress: SocketAddress?, directory: (any ProxyDirectory)?) {
        samples = SampleContext(
            frontendName: frontendName, clientAddress: clientAddress, localAddress: localAddress, directory: directory)
        acceptedAt = .now()
        acceptedWallClock = WallClock.microseconds()
    }

    var clientAddress: SocketAddress? { samples.clientAddress }
    var localAddress: SocketAddress? { samples.localAddress }

    var backendName: String? {
        get { samples.backendName }
        set { samples.backendName = newValue }
    }

    var serverName: String? {
        get { samples.serverName }
        set { samples.serverName = newValue }
    }

    func beginTransaction(request: HTTPHead) {
        samples.request = request
        samples.direction = .request
    }

    func endTransaction() {
        samples.resetForNextRequest()
    }
}
