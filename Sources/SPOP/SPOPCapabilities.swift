import NIOCore

/// The `capabilities` of a HELLO: a comma-separated list of names on the wire.
public struct SPOPCapabilities: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Several NOTIFY frames in flight on one connection, ACKs in any order.
    public static let pipelining = SPOPCapabilities(rawValue: 1 << 0)
    /// The announcing peer can receive fragmented frames (HAProxy ≤ 3.0 sends fragmented NOTIFYs to an
    /// agent that announces it; HAProxy never announces it itself).
    public static let fragmentation = SPOPCapabilities(rawValue: 1 << 1)
    /// An ACK may come back on any connection of the same engine-id (HAProxy ≤ 3.0).
    public static let async = SPOPCapabilities(rawValue: 1 << 2)

    private static let names: [(SPOPCapabilities, String)] = [
        (.pipelining, "pipelining"), (.fragmentation, "fragmentation"), (.async, "async"),
    ]

    /// Parses a capabilities list: names separated by commas, spaces and tabs ignored, unknown
    /// names ignored, matched exactly (case-sensitive).
    public init(parsing list: some Sequence<UInt8>) {
        self = []
        var name: [UInt8] = []
        func flush(_ set: inout SPOPCapabilities) {
            if let entry = Self.names.first(where: { $0.1.utf8.elementsEqual(name) }) { set.insert(entry.0) }
            name.removeAll(keepingCapacity: true)
        }
        for byte in list {
            switch byte {
            case UInt8(ascii: ","): flush(&self)
            case UInt8(ascii: " "), UInt8(ascii: "\t"): continue
            default: name.append(byte)
            }
        }
        flush(&self)
    }

    /// Parses a capabilities list from text.
    public init(parsing list: String) {
        self.init(parsing: list.utf8)
    }

    /// The wire form: the names joined by commas, in the order pipelining, fragmentation, async; "" when empty.
    public var description: String {
        Self.names.filter { contains($0.0) }.map(\.1).joined(separator: ",")
    }
}
