import NIOCore
import SPOP
import Testing
import TestRandom

@Suite("Frame writer")
struct FrameWriterTests {
    @Test("AGENT-HELLO without capabilities and with pipelining, byte for byte")
    func agentHello() {
        let none = written { $0.writeSPOPAgentHello(SPOPAgentHello(maxFrameSize: 16380, capabilities: [])) }
        #expect(hexString(none) == hexString(hex(Vectors.agentHelloNoCapabilities)))
        let pipelining = written {
            $0.writeSPOPAgentHello(SPOPAgentHello(maxFrameSize: 16380, capabilities: [.pipelining]))
        }
        #expect(hexString(pipelining) == Vectors.agentHelloPipelining)
    }

    @Test("AGENT-HELLO reads back")
    func agentHelloRoundTrip() throws {
        let hello = SPOPAgentHello(maxFrameSize: 4096, capabilities: [.pipelining, .fragmentation, .async])
        let f = try frame(hex: hexString(written { $0.writeSPOPAgentHello(hello) }))
        #expect(f.type == .agentHello && f.flags == .fin && f.streamID == 0 && f.frameID == 0)
        #expect(try SPOPAgentHello(payload: f.payload) == hello)
    }

    @Test("HAPROXY-HELLO as HAProxy writes it (health check and 2.6)")
    func haproxyHello() {
        let check = written {
            $0.writeSPOPHAProxyHello(SPOPHAProxyHello(capabilities: [], isHealthCheck: true))
        }
        #expect(hexString(check) == hexString(hex(Vectors.helloHealthCheck)))
        let normal = written {
            $0.writeSPOPHAProxyHello(SPOPHAProxyHello(engineID: "9916cae1-1067-4339-9e59-699dfc5e4990"))
        }
        #expect(hexString(normal) == Vectors.hello26)
    }

    @Test("ACK with seven actions, accepted by HAProxy 2.6.12, byte for byte")
    func ackSevenActions() {
        let bytes = written { $0.writeSPOPAck(streamID: 0, frameID: 1, actions: FrameDecoderTests.sevenActions) }
        #expect(hexString(bytes) == hexString(hex(Vectors.ackSevenActions)))
    }

    @Test("empty ACK and a session-scope ACK with a 2-byte stream-id")
    func otherAcks() {
        #expect(hexString(written { $0.writeSPOPAck(streamID: 2, frameID: 1) }) == hexString(hex(Vectors.ackEmpty)))
        let session = written {
            $0.writeSPOPAck(
                streamID: 542, frameID: 1, actions: [SPOPAction(set: "ip_score", scope: .session, to: .int32(77))])
        }
        #expect(hexString(session) == hexString(hex(Vectors.ackSessionScore)))
    }

    @Test("the direct writers produce the same ACK without building actions")
    func directAck() {
        let expected = hex(Vectors.ackSevenActions)
        let direct = written { out in
            let mark = out.beginSPOPFrame(.ack, streamID: 0, frameID: 1)
            out.writeSPOPSetVar(scope: .transaction, name: "score", value: .int32(42))
            out.writeSPOPSetVar(scope: .transaction, name: "neg", value: .int64(-5))
            out.writeSPOPSetVar(scope: .transaction, name: "ip", value: .ipv4(SPOPIPv4Address(10, 1, 2, 3)))
            out.writeSPOPSetVarPrefix(scope: .transaction, name: "txt".utf8)
            out.writeSPOPString("hello".utf8)
            out.writeSPOPSetVar(scope: .transaction, name: "flag", value: .bool(true))
            out.writeSPOPSetVarPrefix(scope: .transaction, name: [UInt8]("unknown_var".utf8))
            out.writeSPOPString([UInt8(ascii: "x")])
            out.writeSPOPUnsetVar(scope: .transaction, name: "gone")
            #expect(out.finishSPOPFrame(mark) == expected.count - 4)
        }
        #expect(direct == expected)
    }

    @Test("a frame can be abandoned, e.g. when it came out larger than max-frame-size")
    func abandon() {
        var out = ByteBuffer()
        out.writeSPOPAck(streamID: 1, frameID: 1)
        let before = out
        let mark = out.beginSPOPFrame(.ack, streamID: 3, frameID: 1)
        out.writeSPOPSetVar(
            scope: .transaction, name: "big", value: SPOPTypedData(binary: Array(repeating: 0, count: 300)))
        #expect(out.finishSPOPFrame(mark) > 256)
        out.abandonSPOPFrame(mark)
        #expect(out == before)
    }

    @Test("DISCONNECT frames with the spec's messages, byte for byte", arguments: Vectors.disconnects)
    func disconnects(hex text: String, type: UInt8, status: UInt32) throws {
        let frameType = try #require(SPOPFrameType(rawValue: type))
        let bytes = written {
            $0.writeSPOPDisconnect(SPOPDisconnect(status: SPOPStatus(rawValue: status)), type: frameType)
        }
        #expect(hexString(bytes) == text)
    }

    @Test("DISCONNECT messages are cut to 255 bytes")
    func longMessage() throws {
        let bytes = written {
            $0.writeSPOPDisconnect(
                SPOPDisconnect(status: SPOPStatus(rawValue: 200), message: String(repeating: "x", count: 400)))
        }
        let f = try frame(hex: hexString(bytes))
        let disconnect = try SPOPDisconnect(payload: f.payload)
        #expect(disconnect.status.rawValue == 200)
        #expect(disconnect.message.utf8.count == 255)
    }

    @Test("every status has the spec's exact message")
    func statusMessages() {
        let expected = [
            0: "normal", 1: "I/O error", 2: "a timeout occurred", 3: "frame is too big", 4: "invalid frame received",
            5: "version value not found", 6: "max-frame-size value not found", 7: "capabilities value not found",
            8: "unsupported version", 9: "max-frame-size too big or too small", 10: "fragmentation not supported",
            11: "invalid interlaced frames", 12: "frame-id not found", 13: "resource allocation error",
            99: "an unknown error occurred",
        ]
        for (code, message) in expected {
            #expect(SPOPStatus(rawValue: UInt32(code)).message == message)
            #expect(SPOPStatus(rawValue: UInt32(code)).isDefined)
        }
        #expect(!SPOPStatus(rawValue: 14).isDefined)
        #expect(SPOPStatus(rawValue: 14).message == "an unknown error occurred")
        #expect(SPOPStatus.fragmentationNotSupported.rawValue == 10)
        #expect(SPOPStatus.unknown.rawValue == 99)
    }

    @Test("captured NOTIFY frames are rewritten byte for byte")
    func notifyRoundTrip() throws {
        for text in [Vectors.notify26, Vectors.notify34, Vectors.notifyNegasus, Vectors.emptyNotify] {
            let f = try frame(hex: text)
            #expect(hexString(written { $0.writeSPOPFrame(f) }) == hexString(hex(text)))
            // Re-encoding the decoded messages gives the same payload.
            let messages = try SPOPMessageList(validating: f.payload)
            let rebuilt = SPOPMessageList(
                Array(messages).map { SPOPMessage(name: $0.name, arguments: SPOPKVList(Array($0.arguments))) })
            #expect(rebuilt.bytes == f.payload)
        }
    }

    @Test("random frames round trip through writer and decoder")
    func randomRoundTrip() {
        var rng = SplitMix64(seed: 42)
        var stream = ByteBuffer()
        var expected: [SPOPFrame] = []
        for _ in 0..<300 {
            let messages = SPOPMessageList((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomMessage(&rng) })
            let f = SPOPFrame(
                type: .notify, flags: .fin, streamID: randomID(&rng), frameID: randomID(&rng), payload: messages.bytes)
            stream.writeSPOPFrame(f)
            expected.append(f)
        }
        let outcome = decode(Array(stream.readableBytesView), maxFrameSize: 1 << 20, step: 17)
        #expect(outcome.frames == expected)
        #expect(outcome.error == nil)
    }
}

func randomID(_ rng: inout SplitMix64) -> UInt64 {
    switch Int.random(in: 0..<4, using: &rng) {
    case 0: return UInt64.random(in: 0..<240, using: &rng)
    case 1: return UInt64.random(in: 0..<100_000, using: &rng)
    case 2: return .max
    default: return rng.next()
    }
}

func randomValue(_ rng: inout SplitMix64) -> SPOPTypedData {
    switch Int.random(in: 0..<10, using: &rng) {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &rng))
    case 2: return .int32(Int32(truncatingIfNeeded: rng.next()))
    case 3: return .uint32(UInt32(truncatingIfNeeded: rng.next()))
    case 4: return .int64(Int64(bitPattern: rng.next()))
    case 5: return .uint64(rng.next())
    case 6: return .ipv4(SPOPIPv4Address(rawValue: UInt32(truncatingIfNeeded: rng.next())))
    case 7: return .ipv6(SPOPIPv6Address(high: rng.next(), low: rng.next()))
    case 8:
        return .string(
            ByteBuffer(
                bytes: (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }))
    default:
        return .binary(
            ByteBuffer(
                bytes: (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }))
    }
}

func randomMessage(_ rng: inout SplitMix64) -> SPOPMessage {
    let arguments = (0..<Int.random(in: 0...6, using: &rng)).map { i in
        SPOPKVItem(i == 0 ? "" : "arg\(i)", randomValue(&rng))
    }
    return SPOPMessage("msg-\(Int.random(in: 0...999, using: &rng))", arguments)
}
