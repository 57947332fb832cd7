import NIOCore
import Testing

@testable import TidegateCore

@Suite("Sample casts (HAProxy's cast table)")
struct SampleCastTests {
    @Test func stringToInteger() {
        #expect(Sample.string("42").converted(to: .sint) == .sint(42))
        #expect(Sample.string("-17abc").converted(to: .sint) == .sint(-17))
        // Like read_int64: text without digits is 0, only the empty string fails.
        #expect(Sample.string("abc").converted(to: .sint) == .sint(0))
        #expect(Sample.string("").converted(to: .sint) == nil)
        #expect(Sample.string("99999999999999999999").converted(to: .sint) == .sint(.max))
    }

    @Test func stringToBool() {
        #expect(Sample.string("1").converted(to: .bool) == .bool(true))
        #expect(Sample.string("0").converted(to: .bool) == .bool(false))
        #expect(Sample.string("").converted(to: .bool) == nil)
    }

    @Test func integerAndBoolToString() {
        #expect(Sample.sint(-1234).stringValue == "-1234")
        #expect(Sample.sint(0).stringValue == "0")
        #expect(Sample.bool(true).stringValue == "1")
        #expect(Sample.bool(false).converted(to: .sint) == .sint(0))
        #expect(Sample.sint(7).converted(to: .bool) == .bool(true))
        #expect(Sample.sint(0).converted(to: .bool) == .bool(false))
    }

    @Test func integerToBinaryIsBigEndianEightBytes() {
        #expect(Sample.sint(258).converted(to: .bin) == .binary([0, 0, 0, 0, 0, 0, 1, 2]))
    }

    @Test func addressCasts() {
        let v4 = Sample.ipv4(IPv4Address(192, 168, 1, 2))
        #expect(v4.stringValue == "192.168.1.2")
        #expect(v4.converted(to: .sint) == .sint(0xC0A8_0102))
        #expect(v4.converted(to: .bin) == .binary([192, 168, 1, 2]))
        #expect(v4.converted(to: .ipv6)?.stringValue == "::ffff:192.168.1.2")
        #expect(Sample.sint(0x0A00_0001).converted(to: .ipv4) == .ipv4(IPv4Address(10, 0, 0, 1)))
        #expect(Sample.string("10.1.2.3").converted(to: .addr) == .ipv4(IPv4Address(10, 1, 2, 3)))
        #expect(Sample.string("2001:db8::1").converted(to: .addr)?.stringValue == "2001:db8::1")
        #expect(Sample.string("not-an-ip").converted(to: .ipv4) == nil)
        #expect(Sample.string("01.2.3.4").converted(to: .ipv4) == nil)
        #expect(
            Sample.string("::ffff:10.0.0.9").converted(to: .ipv6)?.converted(to: .ipv4)
                == .ipv4(IPv4Address(10, 0, 0, 9)))
        #expect(Sample.string("2001:db8::1").converted(to: .ipv6)?.converted(to: .ipv4) == nil)
    }

    @Test func binaryToStringStopsAtNul() {
        #expect(Sample.binary([0x61, 0x62, 0x00, 0x63]).stringValue == "ab")
    }

    @Test func impossibleCasts() {
        #expect(Sample.bool(true).converted(to: .ipv4) == nil)
        #expect(Sample.ipv6(IPv6Address(high: 1, low: 2)).converted(to: .sint) == nil)
        #expect(!SampleType.bool.canCast(to: .bin))
        #expect(!SampleType.ipv6.canCast(to: .sint))
        #expect(SampleType.str.canCast(to: .ipv6))
        #expect(SampleType.meth.canCast(to: .str))
    }
}
