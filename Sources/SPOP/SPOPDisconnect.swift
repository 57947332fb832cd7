import NIOCore

/// The payload of a HAPROXY-DISCONNECT or AGENT-DISCONNECT frame.
public struct SPOPDisconnect: Sendable, Hashable, CustomStringConvertible {
    /// KV name of the status code item.
    public static let statusCodeKey = "status-code"
    /// KV name of the message item.
    public static let messageKey = "message"
    /// Longest message written (HAProxy 2.6 rejects longer ones).
    public static let maxMessageLength = 255

    public var status: SPOPStatus
    /// Free text; the protocol's own text for the status unless given.
    public var message: String

    public init(status: SPOPStatus, message: String? = nil) {
        self.status = status
        self.message = message ?? status.message
    }

    /// Reads a DISCONNECT payload. A malformed KV list throws; a missing or mistyped `status-code` reads
    /// as 99 (unknown) and a missing `message` as "" since the peer is leaving anyway.
    public init(payload: ByteBuffer) throws(SPOPError) {
        let items = try SPOPKVList(validating: payload)
        var status = SPOPStatus.unknown
        var message = ""
        for item in items {
            if item.name.readableBytesView.elementsEqual(Self.statusCodeKey.utf8) {
                if let code = item.value.int64Value, let raw = UInt32(exactly: code) {
                    status = SPOPStatus(rawValue: raw)
                }
            } else if item.name.readableBytesView.elementsEqual(Self.messageKey.utf8), let bytes = item.value.bytes {
                message = String(buffer: bytes)
            }
        }
        self.init(status: status, message: message)
    }

    public var description: String { "status \(status.rawValue) \"\(message)\"" }
}
