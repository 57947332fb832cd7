/// An IPv4 address as carried by SPOP's IPV4 typed data (4 bytes, network order).
///
/// Only the wire value: for text in scripts, convert to `TidegateCore.IPv4Address(rawValue)`, which
/// parses and prints as the system's `inet_pton`/`inet_ntop` do.
public struct SPOPIPv4Address: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The address as a number: 127.0.0.1 is 0x7F00_0001.
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [
            UInt8(truncatingIfNeeded: rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
            UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue),
        ]
    }

    /// Dotted-quad text (for logs).
    public var description: String {
        "\(rawValue >> 24).\(rawValue >> 16 & 0xFF).\(rawValue >> 8 & 0xFF).\(rawValue & 0xFF)"
    }
}
