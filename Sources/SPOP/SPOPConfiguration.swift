/// An agent's own protocol settings: what it offers in HELLO negotiation and the limits it enforces.
public struct SPOPConfiguration: Sendable, Hashable {
    /// HAProxy's default max-frame-size (`tune.bufsize` 16384 minus 4).
    public static let defaultMaxFrameSize = 16380

    /// The largest frame the agent accepts and sends (never below 256); the negotiated size is the smaller
    /// of this and HAProxy's. It is also the limit on frames received before HELLO.
    public var maxFrameSize: Int {
        didSet { maxFrameSize = Swift.max(maxFrameSize, SPOPFrame.minimumMaxFrameSize) }
    }
    /// What the agent supports. Pipelining and async are used only if HAProxy offers them too;
    /// fragmentation is announced whenever it is set here (it says the agent can receive fragments).
    public var capabilities: SPOPCapabilities
    /// The largest NOTIFY payload reassembled from fragments; above it the connection is closed with
    /// status 3.
    public var maxReassembledPayload: Int

    public init(
        maxFrameSize: Int = SPOPConfiguration.defaultMaxFrameSize,
        capabilities: SPOPCapabilities = [.pipelining, .fragmentation],
        maxReassembledPayload: Int = 1 << 20
    ) {
        self.maxFrameSize = Swift.max(maxFrameSize, SPOPFrame.minimumMaxFrameSize)
        self.capabilities = capabilities
        self.maxReassembledPayload = maxReassembledPayload
    }
}
