import NIOCore
import SPOP
import Testing
import TestRandom

@Suite("Varint")
struct VarintTests {
    /// spoe.md §5.6.
    static let vectors: [(UInt64, String)] = [
        (0, "00"), (1, "01"), (239, "ef"),
        (240, "f000"), (241, "f100"), (256, "f001"), (300, "fc03"),
        (2287, "ff7f"), (2288, "f08000"), (2289, "f18000"), (2420, "f48800"),
        (16380, "fcf006"), (56888, "f8d41a"), (65535, "fff01e"),
        (264_431, "ffff7f"), (264_432, "f0808000"), (1_572_912, "f0f4fe04"),
        (33_818_863, "ffffff7f"), (33_818_864, "f080808000"),
        (123_456_789, "f5c2f8d502"), (281_374_384, "f0dcacb007"),
        (UInt64(UInt32.max), "fff0fefe7e"),
        (4_328_786_159, "ffffffff7f"), (4_328_786_160, "f08080808000"),
        (554_084_600_047, "ffffffffff7f"),
        (UInt64(Int64.max), "fff0fefefefefefefe06"),
        (UInt64.max, "fff0fefefefefefefe0e"),
        (UInt64(bitPattern: -5), "fbf0fefefefefefefe0e"),
    ]

    @Test("encodes the spec's vectors", arguments: vectors)
    func encode(value: UInt64, expected: String) {
        var out = ByteBuffer()
        let n = out.writeSPOPVarint(value)
        #expect(hexString(out) == expected)
        #expect(n == expected.count / 2)
        #expect(SPOPVarint.encodedLength(of: value) == n)
    }

    @Test("decodes the spec's vectors, leaving what follows", arguments: vectors)
    func decode(value: UInt64, encoded: String) throws {
        var input = buffer(hex: encoded + "aa")
        #expect(try input.readSPOPVarint() == value)
        #expect(input.readableBytes == 1)
    }

    @Test("length boundaries: 10 bytes from 0x10204081020408f0")
    func boundaries() {
        let edges: [(UInt64, Int)] = [
            (239, 1), (240, 2), (2287, 2), (2288, 3), (264_431, 3), (264_432, 4), (33_818_863, 4),
            (33_818_864, 5), (4_328_786_159, 5), (4_328_786_160, 6), (0x1020_4081_0204_08EF, 9),
            (0x1020_4081_0204_08F0, 10), (.max, 10),
        ]
        for (value, length) in edges {
            #expect(SPOPVarint.encodedLength(of: value) == length, "\(value)")
            var out = ByteBuffer()
            #expect(out.writeSPOPVarint(value) == length, "\(value)")
        }
    }

    @Test("round trips random values of every width")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 0x5107)
        var out = ByteBuffer()
        var values: [UInt64] = []
        for i in 0..<20_000 {
            let bits = i % 65
            let value = bits == 64 ? rng.next() : rng.next() & ((1 << UInt64(bits)) - 1)
            values.append(value)
            out.writeSPOPVarint(value)
        }
        for value in values { #expect(try out.readSPOPVarint() == value) }
        #expect(out.readableBytes == 0)
    }

    @Test("a truncated varint throws and consumes nothing")
    func truncated() {
        #expect(
            caught {
                var b = buffer(hex: "f0")
                return try b.readSPOPVarint()
            } == SPOPError(.truncatedVarint))
        #expect(
            caught {
                var b = ByteBuffer()
                return try b.readSPOPVarint()
            } == SPOPError(.truncatedVarint))
        for (_, encoded) in Self.vectors where encoded.count > 2 {
            let bytes = hex(encoded)
            for cut in 1..<bytes.count {
                var input = ByteBuffer(bytes: bytes[..<cut])
                let error = caught { try input.readSPOPVarint() }
                #expect(error == SPOPError(.truncatedVarint), "\(encoded) cut at \(cut)")
                #expect(error?.status == .invalidFrame)
                #expect(input.readableBytes == cut)
            }
        }
    }

    @Test("more than 10 bytes or more than 64 bits is an overflow")
    func overflow() {
        let inputs = [
            "f0 80 80 80 80 80 80 80 80 80 00",  // 11 bytes
            "ff f0 fe fe fe fe fe fe fe 10",  // 10 bytes, 2^64 + ...
            "ff ff ff ff ff ff ff ff ff ff ff ff",
        ]
        for text in inputs {
            var input = buffer(hex: text)
            #expect(caught { try input.readSPOPVarint() } == SPOPError(.varintOverflow), "\(text)")
            #expect(input.readerIndex == 0)
        }
    }
}
