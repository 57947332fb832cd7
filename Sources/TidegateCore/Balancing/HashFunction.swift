import TidegateConfig

/// The string hash functions HAProxy offers for `hash-type` and the hash converters.
public enum HashFunction {
    public static func sdbm<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var hash: UInt32 = 0
        for byte in bytes {
            hash = UInt32(byte) &+ (hash << 6) &+ (hash << 16) &- hash
        }
        return hash
    }

    public static func djb2<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var hash: UInt32 = 5381
        for byte in bytes {
            hash = (hash << 5) &+ hash &+ UInt32(byte)
        }
        return hash
    }

    /// Willy Tarreau's "wt6" hash: two lanes rotated by data-dependent amounts.
    public static func wt6<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var lane0: UInt32 = 0xa53c_965a
        var lane1: UInt32 = 0x5ca6_953a
        var rot0: UInt32 = 6
        var rot1: UInt32 = 18
        for byte in bytes {
            let value = UInt32(byte)
            lane0 = ~(lane0 ^ value)
            lane1 = ~(lane1 &+ value)
            let next0 = rotateLeft(lane1, by: rot0)
            lane1 = rotateLeft(lane0, by: rot1)
            lane0 = next0
            let mix = ((lane0 >> 16) ^ lane1) & 0xffff
            rot0 = mix & 0x1f
            rot1 = mix >> 11
        }
        return lane0 ^ lane1
    }

    /// CRC-32 (IEEE 802.3, as zlib's `crc32`).
    public static func crc32<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8)
        }
        return ~crc
    }

    /// Bob Jenkins' 32-bit integer mix, HAProxy's `avalanche` option.
    public static func avalanche(_ input: UInt32) -> UInt32 {
        var a = input
        a = (a &+ 0x7ed5_5d16) &+ (a << 12)
        a = (a ^ 0xc761_c23c) ^ (a >> 19)
        a = (a &+ 0x1656_67b1) &+ (a << 5)
        a = (a &+ 0xd3a2_646c) ^ (a << 9)
        a = (a &+ 0xfd70_46c5) &+ (a << 3)
        a = (a ^ 0xb55a_4f09) ^ (a >> 16)
        return a
    }

    /// Hashes `bytes` with the function and avalanche setting of `type`.
    public static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes, using type: HashType) -> UInt32 {
        let value: UInt32
        switch type.function {
        case .sdbm: value = sdbm(bytes)
        case .djb2: value = djb2(bytes)
        case .wt6: value = wt6(bytes)
        case .crc32: value = crc32(bytes)
        case .none: value = bytes.reduce(0) { ($0 << 8) | UInt32($1) }
        }
        return type.avalanche ? avalanche(value) : value
    }

    @inline(__always) private static func rotateLeft(_ value: UInt32, by amount: UInt32) -> UInt32 {
        let shift = amount & 31
        return shift == 0 ? value : (value << shift) | (value >> (32 - shift))
    }

    private static let crc32Table: [UInt32] = (0..<256).map { index -> UInt32 in
        var c = UInt32(index)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}
