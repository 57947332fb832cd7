import NIOCore

/// Where and how a proxy logs its streams.
public final class ProxyLog: Sendable {
    public init() {}

    func emitHTTP(transaction: HTTPTransaction, stream: StreamContext, frontend: FrontendRuntime, runtime: ProxyRuntime) {}
    func emitRejected(
        status: Int, termination: (Character, Character), bytes: Int, stream: StreamContext,
        frontend: FrontendRuntime, runtime: ProxyRuntime
    ) {}
}

extension ProxyLog {
    func emitTCP(
        stream: StreamContext, frontend: FrontendRuntime, runtime: ProxyRuntime, bytesToClient: UInt64,
        bytesFromClient: UInt64, connectedAt: NIODeadline?, termination: (Character, Character)
    ) {}
}
