/// An IPv6 address as carried by SPOP's IPV6 typed data (16 bytes, network order).
///
/// Only the wire value: for text in scripts, convert to `TidegateCore.IPv6Address(high:low:)`, which
/// parses and prints as the system's `inet_pton`/`inet_ntop` do.
public struct SPOPIPv6Address: Sendable, Hashable, CustomStringConvertible {
    /// The first 8 bytes of the address, as a big-endian number.
    public var high: UInt64
    /// The last 8 bytes of the address, as a big-endian number.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address made of exactly 16 bytes in network order; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// The 16 bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// The eight groups in full, without `::` compression (for logs): `0:0:0:0:0:0:0:1`.
    public var description: String {
        (0..<8).map { i -> String in
            let word = i < 4 ? high >> (48 - 16 * UInt64(i)) : low >> (48 - 16 * UInt64(i - 4))
            return String(UInt16(truncatingIfNeeded: word), radix: 16)
        }.joined(separator: ":")
    }
}
