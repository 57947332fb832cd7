extension SampleConverterRegistry {
    /// `crc32 crc32c djb2 sdbm wt6`, each with the optional `avalanche` argument.
    mutating func registerHashConverters() {
        register(hashConverter("crc32") { HashFunction.crc32($0) })
        register(hashConverter("crc32c") { CRC32C.checksum($0) })
        register(hashConverter("djb2") { HashFunction.djb2($0) })
        register(hashConverter("sdbm") { HashFunction.sdbm($0) })
        register(hashConverter("wt6") { HashFunction.wt6($0) })
    }

    private func hashConverter(
        _ name: String, _ hash: @escaping @Sendable (UnsafeRawBufferPointer) -> UInt32
    ) -> SampleConverterDescriptor {
        SampleConverterDescriptor(
            name: name, inputType: .bin, outputType: .sint, maximumArguments: 1, argumentKinds: [.integer],
            convert: { input, args, _ in
                var value = input.buffer!.withUnsafeReadableBytes { hash($0) }
                if let avalanche = args[0].integerValue, avalanche != 0 { value = HashFunction.avalanche(value) }
                return .sint(Int64(value))
            })
    }
}

/// CRC-32C (Castagnoli), as HAProxy's `crc32c` converter.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var c = UInt32(index)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82f6_3b78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return ~crc
    }
}
