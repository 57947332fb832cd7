import NIOCore
import SPOP
import Testing

@Suite("Frame decoder")
struct FrameDecoderTests {
    @Test("HAPROXY-HELLO of a health check (2.6.12 and 3.4.0)")
    func healthCheckHello() throws {
        let f = try frame(hex: Vectors.helloHealthCheck)
        #expect(f.type == .haproxyHello)
        #expect(f.flags == .fin)
        #expect(f.streamID == 0 && f.frameID == 0)
        let hello = try SPOPHAProxyHello(payload: f.payload)
        #expect(hello.supportedVersions == "2.0")
        #expect(hello.maxFrameSize == 16380)
        #expect(hello.capabilities == [])
        #expect(hello.isHealthCheck)
        #expect(hello.engineID == nil)
        #expect(try SPOPKVList(validating: f.payload).count == 4)
    }

    @Test("HAPROXY-HELLO of HAProxy 2.6.12 and 3.4.0")
    func hellos() throws {
        let h26 = try SPOPHAProxyHello(payload: try frame(hex: Vectors.hello26).payload)
        #expect(h26.capabilities == [.pipelining, .async])
        #expect(h26.engineID == "9916cae1-1067-4339-9e59-699dfc5e4990")
        #expect(!h26.isHealthCheck)
        #expect(h26.maxFrameSize == 16380)
        let h34 = try SPOPHAProxyHello(payload: try frame(hex: Vectors.hello34).payload)
        #expect(h34.capabilities == [.pipelining])
        #expect(h34.engineID == "b3889621-8b21-4e01-9176-fedb473cf6cf")
        // max-frame-size 4096 is written `03 f0f100`.
        var payload = ByteBuffer()
        payload.writeSPOPBytes("max-frame-size")
        payload.writeBytes(hex("03 f0f100"))
        #expect(try SPOPHAProxyHello(payload: payload).maxFrameSize == 4096)
    }

    @Test("NOTIFY from HAProxy 2.6.12: stream-id 0, 13 arguments of every kind HAProxy sends")
    func notify26() throws {
        let f = try frame(hex: Vectors.notify26)
        #expect(f.type == .notify)
        #expect(f.flags == .fin)
        #expect(f.streamID == 0)
        #expect(f.frameID == 1)
        let messages = try SPOPMessageList(validating: f.payload)
        #expect(messages.count == 1)
        let message = try #require(messages.first { _ in true })
        #expect(message.nameString == "check-req")
        #expect(message.arguments.count == 13)
        let args = Array(message.arguments)
        #expect(
            args.map(\.nameString) == [
                "ip", "port", "method", "path", "ver", "hdrs", "body", "t", "f", "neg", "big", "ip6", "nil",
            ])
        #expect(args[0].value == .ipv4(SPOPIPv4Address(127, 0, 0, 1)))
        #expect(args[1].value == .int64(56888))
        #expect(args[2].value == SPOPTypedData(string: "GET"))
        #expect(args[3].value == SPOPTypedData(string: "/foo"))
        #expect(args[4].value == SPOPTypedData(string: "1.1"))
        let headers = try #require(args[5].value.bytes)
        #expect(args[5].value.kind == .binary)
        #expect(headers.readableBytes == 0x42)
        #expect(
            try Self.headerPairs(headers) == [
                ["host", "127.0.0.1:18080"], ["user-agent", "curl/7.88.1"], ["accept", "*/*"], ["x-test", "a"],
            ])
        #expect(args[6].value == SPOPTypedData(binary: []))
        #expect(args[7].value == .bool(true))
        #expect(args[8].value == .bool(false))
        #expect(args[9].value == .int64(-1))
        #expect(args[10].value == .int64(300))
        #expect(args[11].value == .ipv6(SPOPIPv6Address(high: 0, low: 1)))
        #expect(args[12].value == .null)
        #expect(message.arguments["nil"] == .null)
        #expect(message.arguments["big"] == .int64(300))
        #expect(message.arguments["absent"] == nil)
    }

    /// `req.hdrs_bin`: (name, value) pairs, ended by two empty strings.
    static func headerPairs(_ block: ByteBuffer) throws -> [[String]] {
        var rest = block
        var pairs: [[String]] = []
        while true {
            let name = try rest.readSPOPBytes()
            let value = try rest.readSPOPBytes()
            if name.readableBytes == 0 && value.readableBytes == 0 { break }
            pairs.append([String(buffer: name), String(buffer: value)])
        }
        #expect(rest.readableBytes == 0)
        return pairs
    }

    @Test("NOTIFY from HAProxy 3.4.0: odd stream-id")
    func notify34() throws {
        let f = try frame(hex: Vectors.notify34)
        #expect(f.streamID == 1 && f.frameID == 1)
        let message = try #require(try SPOPMessageList(validating: f.payload).first { _ in true })
        #expect(message.arguments.count == 13)
        #expect(message.arguments["path"] == SPOPTypedData(string: "/a"))
        #expect(message.arguments["port"] == .int64(50588))
    }

    @Test("third-party NOTIFY: 2-byte stream-id, NULL arguments")
    func notifyNegasus() throws {
        let f = try frame(hex: Vectors.notifyNegasus)
        #expect(f.streamID == 542 && f.frameID == 1)
        let message = try #require(try SPOPMessageList(validating: f.payload).first { _ in true })
        #expect(message.nameString == "get-ip-reputation")
        #expect(
            Array(message.arguments) == [
                SPOPKVItem("ip", .ipv4(SPOPIPv4Address(193, 200, 227, 222))),
                SPOPKVItem("host", SPOPTypedData(string: "domain.example.com")),
                SPOPKVItem("authorization", .null),
                SPOPKVItem("cookie", .null),
            ])
    }

    @Test("a list of messages without frame header (several arguments, INT64 for a boolean)")
    func messagesWithoutHeader() throws {
        let list = try SPOPMessageList(validating: buffer(hex: Vectors.messagesWithoutHeader))
        let messages = Array(list)
        #expect(messages.count == 1)
        #expect(messages[0].nameString == "solar_system_communication")
        #expect(
            Array(messages[0].arguments) == [
                SPOPKVItem("mercury", .ipv4(SPOPIPv4Address(192, 168, 1, 23))),
                SPOPKVItem("venus", .int64(123_456_789)),
                SPOPKVItem("earth", SPOPTypedData(string: "looks like a marble")),
                SPOPKVItem("mars", .int64(1)),
            ])
    }

    @Test("empty NOTIFY (HAProxy 3.1/3.2) decodes to no messages")
    func emptyNotify() throws {
        let f = try frame(hex: Vectors.emptyNotify)
        #expect(f.type == .notify && f.streamID == 1 && f.frameID == 1)
        #expect(try SPOPMessageList(validating: f.payload).count == 0)
    }

    @Test("ACK frames decode to their actions")
    func acks() throws {
        let seven = try frame(hex: Vectors.ackSevenActions)
        #expect(seven.type == .ack && seven.streamID == 0 && seven.frameID == 1)
        #expect(Array(try SPOPActionList(validating: seven.payload)) == Self.sevenActions)
        let empty = try frame(hex: Vectors.ackEmpty)
        #expect(empty.streamID == 2 && empty.frameID == 1)
        #expect(try SPOPActionList(validating: empty.payload).count == 0)
        let session = try frame(hex: Vectors.ackSessionScore)
        #expect(session.streamID == 542)
        #expect(
            Array(try SPOPActionList(validating: session.payload)) == [
                SPOPAction(set: "ip_score", scope: .session, to: .int32(77))
            ])
    }

    static let sevenActions: [SPOPAction] = [
        SPOPAction(set: "score", scope: .transaction, to: .int32(42)),
        SPOPAction(set: "neg", scope: .transaction, to: .int64(-5)),
        SPOPAction(set: "ip", scope: .transaction, to: .ipv4(SPOPIPv4Address(10, 1, 2, 3))),
        SPOPAction(set: "txt", scope: .transaction, to: SPOPTypedData(string: "hello")),
        SPOPAction(set: "flag", scope: .transaction, to: .bool(true)),
        SPOPAction(set: "unknown_var", scope: .transaction, to: SPOPTypedData(string: "x")),
        SPOPAction(unset: "gone", scope: .transaction),
    ]

    @Test("DISCONNECT frames carry the status and the spec's message", arguments: Vectors.disconnects)
    func disconnects(hex text: String, type: UInt8, status: UInt32) throws {
        let f = try frame(hex: text)
        #expect(f.type.rawValue == type)
        let disconnect = try SPOPDisconnect(payload: f.payload)
        #expect(disconnect.status.rawValue == status)
        #expect(disconnect.message == SPOPStatus(rawValue: status).message)
    }

    @Test("several frames in one buffer, fed in every piece size")
    func stream() {
        let all = [
            Vectors.hello26, Vectors.notify26, Vectors.notify34, Vectors.emptyNotify, Vectors.disconnects[0].hex,
        ]
        let outcome = decodeAllWays(all.flatMap { hex($0) })
        #expect(outcome.frames.map(\.type) == [.haproxyHello, .notify, .notify, .notify, .haproxyDisconnect])
        #expect(outcome.error == nil && outcome.leftover == 0)
    }

    @Test("an incomplete frame returns nil and consumes nothing")
    func incomplete() throws {
        let bytes = hex(Vectors.notify26)
        let decoder = SPOPFrameDecoder()
        for cut in [0, 1, 3, 4, 5, 11, bytes.count - 1] {
            var input = ByteBuffer(bytes: bytes[..<cut])
            #expect(try decoder.decode(&input) == nil)
            #expect(input.readableBytes == cut)
        }
    }

    // MARK: - Bad input: each case and the status an agent answers it with

    static let badFrames: [(String, SPOPError.Code, SPOPStatus)] = [
        ("00000000", .frameTooSmall, .invalidFrame),  // zero length (HAProxy 2.9.6 spun on it)
        ("00000006 03 00000001 00", .frameTooSmall, .invalidFrame),
        ("47455420", .frameTooBig, .frameTooBig),  // "GET ": an HTTP client on the SPOP port
        ("03000000", .frameTooBig, .frameTooBig),  // desynchronised stream
        ("00003ffd", .frameTooBig, .frameTooBig),  // 16381 > 16380, rejected before the body arrives
        ("00000007 04 00000001 00 00", .unknownFrameType, .invalidFrame),
        ("00000007 64 00000001 00 00", .unknownFrameType, .invalidFrame),
        ("00000007 ff 00000001 00 00", .unknownFrameType, .invalidFrame),
        ("00000007 00 00000002 00 00", .invalidFlags, .invalidFrame),  // ABORT without FIN
        ("00000007 03 00000001 f0 f0", .truncatedVarint, .invalidFrame),  // stream-id runs off the frame
        ("00000007 03 00000001 00 f0", .truncatedVarint, .invalidFrame),  // frame-id runs off the frame
        ("00000010 03 00000001 ffffffffffffffffffff 01", .varintOverflow, .invalidFrame),
    ]

    @Test("bad frames throw the matching status and leave the buffer alone", arguments: badFrames)
    func badFrame(hex text: String, code: SPOPError.Code, status: SPOPStatus) {
        let bytes = hex(text)
        let outcome = decodeAllWays(bytes)
        #expect(outcome.error?.code == code)
        #expect(outcome.error?.status == status)
        #expect(outcome.leftover == bytes.count)
    }

    @Test("the size limit follows maxFrameSize")
    func sizeLimit() throws {
        var big = ByteBuffer()
        let mark = big.beginSPOPFrame(.notify, streamID: 1, frameID: 1)
        big.writeSPOPBytes("m")
        big.writeInteger(UInt8(1))
        big.writeSPOPKVItem(name: "body", value: SPOPTypedData(binary: Array(repeating: 7, count: 5000)))
        let length = big.finishSPOPFrame(mark)
        let bytes = Array(big.readableBytesView)
        #expect(decode(bytes, maxFrameSize: length).frames.count == 1)
        #expect(decode(bytes, maxFrameSize: length - 1).error == SPOPError(.frameTooBig))
        #expect(decode(bytes, maxFrameSize: 4096).error?.status == .frameTooBig)
    }

    @Test(
        "malformed payloads are typed errors with status 4",
        arguments: [
            "09 636865636b2d726571 02 026970 06 7f0000",  // IPV4 cut short
            "09 636865636b2d726571 02 026970 06 7f000001",  // 2 arguments announced, 1 present
            "09 636865636b2d7265",  // name cut short
            "09 636865636b2d726571",  // no argument count
            "09 636865636b2d726571 01 ff",  // argument name length runs off
            "09 636865636b2d726571 01 01 61 0a",  // reserved type 10
            "09 636865636b2d726571 01 01 61 08 05 4142",  // string shorter than announced
        ])
    func malformedMessages(hex text: String) {
        let error = caught { try SPOPMessageList(validating: buffer(hex: text)) }
        #expect(error != nil)
        #expect(error?.status == .invalidFrame)
    }

    @Test(
        "malformed action lists",
        arguments: [
            "01 02 02 05 73636f7265 02 2a",  // set-var with 2 arguments
            "02 03 02 04 676f6e65",  // unset-var with 3 arguments
            "03 02 02 04 676f6e65",  // unknown action
            "01 03 05 05 73636f7265 02 2a",  // scope 5
            "01 03 02 05 73636f7265",  // value missing
            "01 03",  // cut short
        ])
    func malformedActions(hex text: String) {
        #expect(caught { try SPOPActionList(validating: buffer(hex: text)) }?.status == .invalidFrame)
    }
}
