import NIOCore
import SPOP
import Testing

@Suite("Typed data")
struct TypedDataTests {
    /// spoe.md §5.7 "typed data singles", plus one of each other type.
    static let singles: [(SPOPTypedData, String)] = [
        (.null, "00"),
        (.bool(true), "11"),
        (.bool(false), "01"),
        (.int32(-1), "02fff0fefefefefefefe0e"),
        (.int32(42), "022a"),
        (.uint32(16380), "03fcf006"),
        (.int64(-1), "04fff0fefefefefefefe0e"),
        (.int64(300), "04fc03"),
        (.uint64(.max), "05fff0fefefefefefefe0e"),
        (.ipv4(SPOPIPv4Address(127, 0, 0, 1)), "067f000001"),
        (.ipv6(SPOPIPv6Address(high: 0, low: 1)), "07" + String(repeating: "00", count: 15) + "01"),
        (SPOPTypedData(string: ""), "0800"),
        (SPOPTypedData(string: "hello"), "080568656c6c6f"),
        (SPOPTypedData(binary: [0x00, 0xFF]), "090200ff"),
    ]

    @Test("encodes and decodes the spec's singles", arguments: singles)
    func single(value: SPOPTypedData, encoded: String) throws {
        var out = ByteBuffer()
        let n = out.writeSPOPTypedData(value)
        #expect(hexString(out) == encoded)
        #expect(n == out.readableBytes)
        var input = buffer(hex: encoded)
        #expect(try input.readSPOPTypedData() == value)
        #expect(input.readableBytes == 0)
    }

    static let boundaries: [SPOPTypedData] = [
        .int32(.min), .int32(.max), .int32(0), .int32(-1),
        .uint32(0), .uint32(.max),
        .int64(.min), .int64(.max), .int64(0), .int64(-1), .int64(Int64(Int32.min) - 1),
        .uint64(0), .uint64(.max), .uint64(UInt64(Int64.max) + 1),
        .ipv4(SPOPIPv4Address(rawValue: 0)), .ipv4(SPOPIPv4Address(rawValue: .max)),
        .ipv6(SPOPIPv6Address(high: .max, low: .max)), .ipv6(SPOPIPv6Address(high: 0x2001_0db8_0000_0000, low: 1)),
        .string(ByteBuffer(bytes: [0xFF, 0xFE, 0x00, 0x80])),  // not UTF-8: kept as bytes
        .binary(ByteBuffer(bytes: Array(repeating: 0xAB, count: 300))),
        .string(ByteBuffer(bytes: Array(repeating: 0x41, count: 5000))),
        .bool(true), .bool(false), .null,
    ]

    @Test("round trips every kind at its boundaries", arguments: boundaries)
    func roundTrip(value: SPOPTypedData) throws {
        var out = ByteBuffer()
        out.writeSPOPTypedData(value)
        out.writeInteger(UInt8(0x5A))
        #expect(try out.readSPOPTypedData() == value)
        #expect(out.readableBytes == 1)
    }

    @Test("64-bit values stay 64-bit")
    func sixtyFourBits() throws {
        var input = buffer(hex: "04 fff0fefefefefefefe06  05 fff0fefefefefefefe0e  04 f0f1fefefefefefefe06")
        #expect(try input.readSPOPTypedData() == .int64(.max))
        #expect(try input.readSPOPTypedData() == .uint64(.max))
        #expect(try input.readSPOPTypedData() == .int64(.min))
        #expect(SPOPTypedData.uint64(.max).int64Value == -1)
    }

    @Test("every truncation throws a typed error and consumes nothing", arguments: singles)
    func truncated(value: SPOPTypedData, encoded: String) {
        let bytes = hex(encoded)
        for cut in 0..<bytes.count {
            var input = ByteBuffer(bytes: bytes[..<cut])
            let error = caught { try input.readSPOPTypedData() }
            #expect(error?.code == .truncatedData || error?.code == .truncatedVarint, "\(encoded) cut at \(cut)")
            #expect(error?.status == .invalidFrame)
            #expect(input.readableBytes == cut)
        }
    }

    @Test("type ids 10 to 15 are rejected")
    func unknownTypes() {
        for id in 10...15 {
            var input = ByteBuffer(bytes: [UInt8(id), 0, 0, 0])
            #expect(caught { try input.readSPOPTypedData() } == SPOPError(.unknownDataType))
        }
    }

    @Test("32-bit types reject values that do not fit")
    func ranges() throws {
        var out = ByteBuffer()
        out.writeInteger(UInt8(3))
        out.writeSPOPVarint(UInt64(UInt32.max) + 1)
        #expect(caught { try out.readSPOPTypedData() } == SPOPError(.integerOutOfRange))
        out.clear()
        out.writeInteger(UInt8(2))
        out.writeSPOPVarint(1 << 40)
        #expect(caught { try out.readSPOPTypedData() } == SPOPError(.integerOutOfRange))
        // A zero-extended 32-bit pattern is accepted as the negative number it stands for.
        out.clear()
        out.writeInteger(UInt8(2))
        out.writeSPOPVarint(0xFFFF_FFFF)
        #expect(try out.readSPOPTypedData() == .int32(-1))
    }

    @Test("flag bits other than BOOL's are ignored; a flagged STRING stays a STRING")
    func flags() throws {
        var input = buffer(hex: "18 03 414243  31  f0  24 05")
        #expect(try input.readSPOPTypedData() == SPOPTypedData(string: "ABC"))
        #expect(try input.readSPOPTypedData() == .bool(true))
        #expect(try input.readSPOPTypedData() == .null)
        #expect(try input.readSPOPTypedData() == .int64(5))
    }

    @Test("strings are slices of the input, not copies")
    func slices() throws {
        var input = buffer(hex: "08 03 474554")
        guard case .string(let bytes) = try input.readSPOPTypedData() else {
            Issue.record("not a string")
            return
        }
        #expect(String(buffer: bytes) == "GET")
    }

    @Test("direct writers match the enum writer")
    func directWriters() {
        var a = ByteBuffer()
        var b = ByteBuffer()
        a.writeSPOPString("héllo".utf8)
        b.writeSPOPTypedData(SPOPTypedData(string: "héllo"))
        #expect(a == b)
        a.clear()
        b.clear()
        a.writeSPOPBinary([1, 2, 3])
        b.writeSPOPTypedData(SPOPTypedData(binary: [1, 2, 3]))
        #expect(a == b)
    }

    @Test("kinds")
    func kinds() {
        #expect(SPOPTypedData.Kind.allCases.map(\.rawValue) == Array(0...9))
        for (value, encoded) in Self.singles { #expect(value.kind.rawValue == hex(encoded)[0] & 0x0F) }
    }
}

@Suite("IP addresses")
struct IPAddressTests {
    @Test("IPv4 wire value, bytes and log text")
    func ipv4() {
        #expect(SPOPIPv4Address(127, 0, 0, 1) == SPOPIPv4Address(rawValue: 0x7F00_0001))
        #expect(SPOPIPv4Address(10, 1, 2, 3).bytes == [10, 1, 2, 3])
        #expect(SPOPIPv4Address(10, 1, 2, 3).description == "10.1.2.3")
        #expect(SPOPIPv4Address(rawValue: .max).description == "255.255.255.255")
    }

    @Test("IPv6 wire value, bytes and log text")
    func ipv6() throws {
        let bytes: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 10) + [0xAB, 0xCD]
        let address = try #require(SPOPIPv6Address(bytes: bytes))
        #expect(address == SPOPIPv6Address(high: 0x2001_0DB8_0000_0000, low: 0xABCD))
        #expect(address.bytes == bytes)
        #expect(address.description == "2001:db8:0:0:0:0:0:abcd")
        #expect(SPOPIPv6Address(bytes: [1, 2, 3]) == nil)
    }
}
