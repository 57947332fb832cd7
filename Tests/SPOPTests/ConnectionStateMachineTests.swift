import NIOCore
import SPOP
import Testing
import TestRandom

@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    typealias Action = SPOPConnectionStateMachine.Action

    static let hello = hex(Vectors.hello26)
    static let negotiated = SPOPAgentHello(maxFrameSize: 16380, capabilities: [.pipelining, .fragmentation])

    /// A machine past HELLO.
    func established(_ configuration: SPOPConfiguration = SPOPConfiguration()) -> SPOPConnectionStateMachine {
        var machine = SPOPConnectionStateMachine(configuration: configuration)
        let actions = run(&machine, Self.hello)
        #expect(actions.count == 1)
        #expect(machine.isEstablished)
        return machine
    }

    @Test("health check: AGENT-HELLO, then close; nothing more is read")
    func healthCheck() {
        var machine = SPOPConnectionStateMachine()
        let bytes = hex(Vectors.helloHealthCheck) + hex(Vectors.notify26)
        var input = ByteBuffer(bytes: bytes)
        let action = machine.read(from: &input)
        #expect(
            action
                == .sendAgentHello(
                    SPOPAgentHello(maxFrameSize: 16380, capabilities: [.fragmentation]), closeAfterwards: true))
        #expect(machine.isClosed)
        #expect(machine.read(from: &input) == nil)
        #expect(input.readableBytes == hex(Vectors.notify26).count)
    }

    @Test("HELLO, NOTIFYs, DISCONNECT from HAProxy 2.6, in one buffer or in pieces")
    func session() throws {
        let bytes = Self.hello + hex(Vectors.notify26) + hex(Vectors.emptyNotify) + hex(Vectors.disconnects[0].hex)
        let actions = runAllWays(bytes)
        try #require(actions.count == 4)
        #expect(actions[0] == .sendAgentHello(Self.negotiated, closeAfterwards: false))
        guard case .handleNotify(let first) = actions[1], case .handleNotify(let empty) = actions[2] else {
            Issue.record("expected two NOTIFYs: \(actions)")
            return
        }
        #expect(first.streamID == 0 && first.frameID == 1)
        #expect(first.messages.count == 1)
        #expect(Array(first.messages)[0].arguments["neg"] == .int64(-1))
        #expect(empty.streamID == 1 && empty.frameID == 1 && empty.messages.count == 0)
        #expect(
            actions[3]
                == .sendAgentDisconnect(SPOPDisconnect(status: .normal), cause: .peer(SPOPDisconnect(status: .normal))))
    }

    @Test("negotiation sets the frame size limit and records engine-id")
    func negotiatedState() {
        var machine = SPOPConnectionStateMachine()
        #expect(machine.maxFrameSize == 16380)
        var input = ByteBuffer()
        input.writeSPOPHAProxyHello(SPOPHAProxyHello(maxFrameSize: 4096, engineID: "e-1"))
        _ = machine.read(from: &input)
        #expect(machine.maxFrameSize == 4096)
        #expect(machine.engineID == "e-1")
        #expect(machine.negotiated?.maxFrameSize == 4096)
        // A 5000-byte frame is now too big.
        var big = ByteBuffer()
        let mark = big.beginSPOPFrame(.notify, streamID: 1, frameID: 1)
        big.writeSPOPMessage(
            SPOPMessage("m", [SPOPKVItem("b", SPOPTypedData(binary: Array(repeating: 1, count: 5000)))]))
        big.finishSPOPFrame(mark)
        #expect(disconnectStatus(machine.read(from: &big)) == .frameTooBig)
    }

    @Test("stream-id and frame-id are handed over exactly, up to 64 bits")
    func ids() {
        var machine = established()
        for (sid, fid) in [(0, 1), (1, 1), (542, 1), (UInt64.max, UInt64.max), (1 << 63, 7)] as [(UInt64, UInt64)] {
            var input = ByteBuffer()
            input.writeSPOPFrame(SPOPFrame(type: .notify, streamID: sid, frameID: fid))
            guard case .handleNotify(let notify) = machine.read(from: &input) else {
                Issue.record("no NOTIFY")
                return
            }
            #expect(notify.streamID == sid && notify.frameID == fid)
        }
    }

    // MARK: - Bad input: AGENT-DISCONNECT with the matching status

    /// Frames after HELLO and the status they are answered with.
    static let badAfterHelloCases: [(String, String, SPOPStatus)] = [
        ("second HELLO", Vectors.hello26, .invalidFrame),
        ("ACK from HAProxy", Vectors.ackEmpty, .invalidFrame),
        ("AGENT-HELLO from HAProxy", Vectors.agentHelloPipelining, .invalidFrame),
        ("AGENT-DISCONNECT from HAProxy", Vectors.disconnects[1].hex, .invalidFrame),
        ("unknown frame type", "00000007 05 00000001 01 01", .invalidFrame),
        ("frame too big", "00004000 03 00000001 01 01", .frameTooBig),
        ("zero length", "00000000", .invalidFrame),
        ("truncated frame-id", "00000007 03 00000001 01 ff", .invalidFrame),
        (
            "8 arguments announced, 7 present", "00000015 03 00000001 01 01 03 746c73 08 01 61 04 f321 01 62 09 00",
            .invalidFrame
        ),
        ("unknown data type", "0000000f 03 00000001 01 01 03 746c73 01 01 61 0b", .invalidFrame),
        ("continuation of nothing", "00000008 00 00000001 01 01 00", .interlacedFrames),
    ]

    @Test("bad input after HELLO", arguments: badAfterHelloCases)
    func badAfterHello(_ name: String, hex text: String, status: SPOPStatus) {
        let actions = runAllWays(Self.hello + hex(text))
        #expect(actions.count == 2, "\(name)")
        #expect(disconnectStatus(actions.last) == status, "\(name)")
    }

    @Test("NOTIFY before HELLO is answered with status 4")
    func notifyBeforeHello() {
        let actions = runAllWays(hex(Vectors.notify26) + Self.hello)
        #expect(actions.count == 1)
        #expect(disconnectStatus(actions[0]) == .invalidFrame)
        #expect(disconnectError(actions[0]) == .unexpectedFrame)
        // The disconnect frame an owner writes for it.
        guard case .sendAgentDisconnect(let disconnect, _) = actions[0] else { return }
        let bytes = written { $0.writeSPOPDisconnect(disconnect) }
        #expect(hexString(bytes).hasSuffix(hexString(Array("invalid frame received".utf8))))
    }

    @Test(
        "bad HELLOs",
        arguments: [
            ("no FIN", "00000007 01 00000000 00 00", SPOPStatus.fragmentationNotSupported),
            ("stream-id 1", "00000007 01 00000001 01 00", .invalidFrame),
            ("no items", "00000007 01 00000001 00 00", .versionNotFound),
            (
                "version 1.0", "0000001f 01 00000001 00 00 12 737570706f727465642d76657273696f6e73 08 03 312e30",
                .unsupportedVersion
            ),
            ("truncated item", "0000000b 01 00000001 00 00 12 7375 70", .invalidFrame),
            ("garbage prefix", "47455420 2f20485454502f312e310d0a", .frameTooBig),
        ])
    func badHello(_ name: String, hex text: String, status: SPOPStatus) {
        let actions = runAllWays(hex(text))
        #expect(actions.count == 1, "\(name)")
        #expect(disconnectStatus(actions.first) == status, "\(name)")
    }

    @Test("HAPROXY-DISCONNECT before HELLO is answered too")
    func disconnectBeforeHello() {
        let actions = runAllWays(hex(Vectors.disconnects[3].hex))
        #expect(
            actions == [
                .sendAgentDisconnect(SPOPDisconnect(status: .normal), cause: .peer(SPOPDisconnect(status: .timeout)))
            ])
    }

    @Test("owner-initiated close, once")
    func localClose() {
        var machine = established()
        #expect(machine.close() == .sendAgentDisconnect(SPOPDisconnect(status: .normal), cause: .local))
        #expect(machine.close() == nil)
        var input = ByteBuffer(bytes: hex(Vectors.notify26))
        #expect(machine.read(from: &input) == nil)
        #expect(machine.receive(try! frame(hex: Vectors.notify26)) == .nothing)
        var other = established()
        #expect(disconnectStatus(other.close(status: .resourceAllocation)) == .resourceAllocation)
    }

    // MARK: - Fragmentation

    /// A NOTIFY whose encoded messages (with a `size`-byte body) are cut into `pieces` of the payload and sent
    /// as NOTIFY (no FIN), UNSET..., UNSET (FIN).
    static func fragmented(
        streamID: UInt64 = 9, frameID: UInt64 = 1, bodySize: Int = 14_000, cuts: [Int]? = nil
    ) -> (frames: [UInt8], messages: SPOPMessageList) {
        let messages = SPOPMessageList([
            SPOPMessage(
                "check-req",
                [
                    SPOPKVItem("ip", .ipv4(SPOPIPv4Address(127, 0, 0, 1))),
                    SPOPKVItem("body", SPOPTypedData(binary: (0..<bodySize).map { UInt8(truncatingIfNeeded: $0) })),
                    SPOPKVItem("port", .int64(56888)),
                ]),
            SPOPMessage("second", [SPOPKVItem("", .uint64(.max))]),
        ])
        let payload = Array(messages.bytes.readableBytesView)
        let bounds = (cuts ?? Array(stride(from: 4064, to: payload.count, by: 4064))) + [payload.count]
        var out = ByteBuffer()
        var start = 0
        for (i, end) in bounds.enumerated() {
            let type: SPOPFrameType = i == 0 ? .notify : .unset
            let flags: SPOPFrameFlags = i == bounds.count - 1 ? .fin : []
            out.writeSPOPFrame(
                SPOPFrame(
                    type: type, flags: flags, streamID: streamID, frameID: frameID,
                    payload: ByteBuffer(bytes: payload[start..<end])))
            start = end
        }
        return (Array(out.readableBytesView), messages)
    }

    @Test("fragments of 4064 bytes (HAProxy 2.6 with max-frame-size 4096) are reassembled")
    func reassembly() throws {
        let (frames, messages) = Self.fragmented()
        let actions = runAllWays(Self.hello + frames)
        try #require(actions.count == 5)
        #expect(actions[1...3].allSatisfy { $0 == .nothing })
        #expect(actions[4] == .handleNotify(SPOPNotify(streamID: 9, frameID: 1, messages: messages)))
        guard case .handleNotify(let notify) = actions[4] else { return }
        #expect(Array(notify.messages).map(\.nameString) == ["check-req", "second"])
        #expect(Array(notify.messages)[0].arguments["body"]?.bytes?.readableBytes == 14_000)
    }

    @Test("fragments cut anywhere, even inside a varint, are reassembled")
    func reassemblyAnywhere() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<50 {
            let size = Int.random(in: 0...3000, using: &rng)
            let payloadLength = SPOPMessageList([]).bytes.readableBytes + size + 60
            let cuts = Array(
                Set(
                    (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                        Int.random(in: 0..<min(payloadLength, size + 20), using: &rng)
                    })
            ).sorted()
            let (frames, messages) = Self.fragmented(bodySize: size, cuts: cuts)
            var machine = established()
            let actions = run(&machine, frames)
            #expect(actions.last == .handleNotify(SPOPNotify(streamID: 9, frameID: 1, messages: messages)))
            #expect(actions.dropLast().allSatisfy { $0 == .nothing })
        }
    }

    @Test("an aborted fragmented NOTIFY is discarded and the connection goes on")
    func abort() throws {
        let (frames, _) = Self.fragmented()
        var partial = ByteBuffer(bytes: frames)
        // Keep the NOTIFY and the first UNSET, then abort with an empty FIN|ABORT UNSET.
        let decoder = SPOPFrameDecoder()
        var kept = ByteBuffer()
        for _ in 0..<2 { kept.writeSPOPFrame(try #require(try decoder.decode(&partial))) }
        kept.writeSPOPFrame(SPOPFrame(type: .unset, flags: [.fin, .abort], streamID: 9, frameID: 1))
        let actions = runAllWays(Self.hello + Array(kept.readableBytesView) + hex(Vectors.notify26))
        try #require(actions.count == 5)
        #expect(actions[1] == .nothing && actions[2] == .nothing)
        #expect(actions[3] == .discardedNotify(streamID: 9, frameID: 1))
        guard case .handleNotify(let next) = actions[4] else {
            Issue.record("\(actions[4])")
            return
        }
        #expect(next.streamID == 0 && next.frameID == 1)
    }

    @Test("aborts of nothing and FIN|ABORT NOTIFYs are harmless")
    func strayAborts() {
        let abortUnset = written {
            $0.writeSPOPFrame(SPOPFrame(type: .unset, flags: [.fin, .abort], streamID: 3, frameID: 1))
        }
        let abortNotify = written {
            $0.writeSPOPFrame(SPOPFrame(type: .notify, flags: [.fin, .abort], streamID: 4, frameID: 2))
        }
        let actions = runAllWays(Self.hello + abortUnset + abortNotify + hex(Vectors.emptyNotify))
        #expect(actions.count == 4)
        #expect(actions[1] == .nothing)
        #expect(actions[2] == .discardedNotify(streamID: 4, frameID: 2))
        #expect(actions[3] == .handleNotify(SPOPNotify(streamID: 1, frameID: 1, messages: SPOPMessageList([]))))
    }

    @Test("fragments without negotiated fragmentation: status 10")
    func notNegotiated() {
        let (frames, _) = Self.fragmented()
        let configuration = SPOPConfiguration(capabilities: [.pipelining])
        let actions = runAllWays(Self.hello + frames, configuration: configuration)
        #expect(actions.count == 2)
        #expect(
            actions[0]
                == .sendAgentHello(
                    SPOPAgentHello(maxFrameSize: 16380, capabilities: [.pipelining]), closeAfterwards: false))
        #expect(disconnectStatus(actions[1]) == .fragmentationNotSupported)
    }

    @Test("interlaced fragments: status 11")
    func interlaced() {
        let (frames, _) = Self.fragmented(streamID: 9, frameID: 1)
        let first = Array(frames[0..<(4 + 4071)])
        let otherFrameID = Self.fragmented(streamID: 9, frameID: 2).frames
        let otherUnset = Array(otherFrameID[(4 + 4071)...])
        let newNotify = hex(Vectors.notify26)
        for tail in [otherUnset, newNotify] {
            let actions = runAllWays(Self.hello + first + tail)
            #expect(actions.count == 3)
            #expect(actions[1] == .nothing)
            #expect(disconnectStatus(actions[2]) == .interlacedFrames)
        }
    }

    @Test("a reassembly beyond the configured limit: status 3")
    func reassembledTooBig() {
        let (frames, _) = Self.fragmented(bodySize: 14_000)
        let actions = runAllWays(Self.hello + frames, configuration: SPOPConfiguration(maxReassembledPayload: 10_000))
        #expect(disconnectError(actions.last) == .reassembledTooBig)
        #expect(disconnectStatus(actions.last) == .frameTooBig)
    }

    @Test("a reassembled payload that is not a valid message list: status 4")
    func reassembledGarbage() {
        var out = ByteBuffer()
        out.writeSPOPFrame(
            SPOPFrame(type: .notify, flags: [], streamID: 1, frameID: 1, payload: ByteBuffer(bytes: [3, 0x61])))
        out.writeSPOPFrame(
            SPOPFrame(type: .unset, flags: .fin, streamID: 1, frameID: 1, payload: ByteBuffer(bytes: [0x62])))
        let actions = runAllWays(Self.hello + Array(out.readableBytesView))
        #expect(actions.count == 3)
        #expect(disconnectStatus(actions.last) == .invalidFrame)
    }
}
