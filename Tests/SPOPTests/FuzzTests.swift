import NIOCore
import SPOP
import Testing
import TestRandom

/// Random and mutated inputs for the decoder, the payload parsers and the state machine: each input must
/// decode or be rejected with a typed `SPOPError` carrying a defined status, never trap, and the state
/// machine must end every bad input with one AGENT-DISCONNECT. Seeded, so a failure names its seed and
/// input and reproduces.
@Suite("Fuzz")
struct FuzzTests {
    /// Valid frames to mutate: the spec's vectors and generated ones of every type.
    static func corpus() -> [[UInt8]] {
        var frames: [[UInt8]] = [
            Vectors.helloHealthCheck, Vectors.hello26, Vectors.hello34, Vectors.agentHelloNoCapabilities,
            Vectors.agentHelloPipelining, Vectors.notify26, Vectors.notify34, Vectors.notifyNegasus,
            Vectors.ackSevenActions, Vectors.ackEmpty, Vectors.ackSessionScore, Vectors.emptyNotify,
        ].map { hex($0) }
        frames += Vectors.disconnects.map { hex($0.hex) }
        var rng = SplitMix64(seed: 0xC0FFEE)
        for _ in 0..<40 {
            let messages = SPOPMessageList((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomMessage(&rng) })
            frames.append(
                written {
                    $0.writeSPOPFrame(
                        SPOPFrame(
                            type: .notify, streamID: randomID(&rng), frameID: randomID(&rng), payload: messages.bytes))
                })
        }
        for _ in 0..<10 {
            let actions = (0..<Int.random(in: 0...6, using: &rng)).map { i in
                i % 3 == 2
                    ? SPOPAction(unset: "v\(i)", scope: SPOPVarScope.allCases.randomElement(using: &rng)!)
                    : SPOPAction(set: "v\(i)", scope: .transaction, to: randomValue(&rng))
            }
            frames.append(
                written { $0.writeSPOPAck(streamID: randomID(&rng), frameID: randomID(&rng), actions: actions) })
        }
        let (fragments, _) = ConnectionStateMachineTests.fragmented(bodySize: 600, cuts: [100, 250, 500])
        frames.append(fragments)
        frames.append(
            written { $0.writeSPOPFrame(SPOPFrame(type: .unset, flags: [.fin, .abort], streamID: 9, frameID: 1)) })
        return frames
    }

    static func mutate(_ input: [UInt8], _ corpus: [[UInt8]], _ rng: inout SplitMix64) -> [UInt8] {
        var out = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<9, using: &rng) {
            case 0 where !out.isEmpty:  // flip a bit
                let i = Int.random(in: 0..<out.count, using: &rng)
                out[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 1 where !out.isEmpty:  // replace a byte, often with an interesting one
                let i = Int.random(in: 0..<out.count, using: &rng)
                out[i] = [0x00, 0x01, 0x7F, 0x80, 0xEF, 0xF0, 0xFF, UInt8.random(in: 0...255, using: &rng)]
                    .randomElement(using: &rng)!
            case 2:  // insert bytes
                let i = Int.random(in: 0...out.count, using: &rng)
                out.insert(
                    contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                        UInt8.random(in: 0...255, using: &rng)
                    }, at: i)
            case 3 where !out.isEmpty:  // delete a range
                let i = Int.random(in: 0..<out.count, using: &rng)
                out.removeSubrange(i..<min(out.count, i + Int.random(in: 1...16, using: &rng)))
            case 4:  // truncate
                out = Array(out.prefix(Int.random(in: 0...out.count, using: &rng)))
            case 5 where out.count >= 4:  // nudge the length prefix
                let length = UInt32(out[0]) << 24 | UInt32(out[1]) << 16 | UInt32(out[2]) << 8 | UInt32(out[3])
                let nudged = length &+ UInt32(bitPattern: Int32.random(in: -8...8, using: &rng))
                out.replaceSubrange(0..<4, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: nudged >> $0) })
            case 6 where out.count >= 5:  // change the frame type
                out[4] = [0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 255].randomElement(using: &rng)!
            case 7 where out.count >= 9:  // change the flags
                out[8] = UInt8.random(in: 0...3, using: &rng)
            case 8:  // splice another frame in
                let other = corpus.randomElement(using: &rng)!
                let i = Int.random(in: 0...out.count, using: &rng)
                out.insert(contentsOf: other.prefix(Int.random(in: 0...other.count, using: &rng)), at: i)
            default:
                break
            }
        }
        return out
    }

    static func randomInput(_ rng: inout SplitMix64) -> [UInt8] {
        var bytes = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        if bytes.count >= 5, Bool.random(using: &rng) {
            // A plausible header so that the bytes reach the payload parsers.
            let length = UInt32(bytes.count - 4)
            bytes.replaceSubrange(0..<4, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) })
            bytes[4] = [0, 1, 2, 3, 101, 102, 103].randomElement(using: &rng)!
        }
        return bytes
    }

    /// Decodes every frame of `input` and runs every payload parser on each; returns how many frames decoded.
    @discardableResult
    static func exerciseDecoder(_ input: [UInt8], maxFrameSize: Int, step: Int) -> Int {
        let outcome = decode(input, maxFrameSize: maxFrameSize, step: step)
        if let error = outcome.error {
            #expect(error.status.isDefined, "input \(hexString(input))")
            #expect(outcome.leftover > 0)
        }
        for f in outcome.frames {
            #expect(f.payload.readableBytes <= maxFrameSize - SPOPFrame.minimumLength)
            checkParsers(f.payload, input: input)
        }
        return outcome.frames.count
    }

    /// Every payload parser either validates (and then iterates exactly `count` items) or throws a typed
    /// error with status 4.
    static func checkParsers(_ payload: ByteBuffer, input: [UInt8]) {
        func check(_ error: SPOPError?) {
            if let error { #expect(error.status == .invalidFrame, "\(error) for \(hexString(input))") }
        }
        check(
            caught {
                let list = try SPOPMessageList(validating: payload)
                var count = 0
                for message in list {
                    count += 1
                    #expect(Array(message.arguments).count == message.arguments.count)
                }
                #expect(count == list.count)
            })
        check(
            caught {
                let list = try SPOPKVList(validating: payload)
                #expect(Array(list).count == list.count)
            })
        check(
            caught {
                let list = try SPOPActionList(validating: payload)
                #expect(Array(list).count == list.count)
            })
        check(caught { try SPOPHAProxyHello(payload: payload) })
        check(
            caught { try SPOPAgentHello(payload: payload) }.flatMap {
                $0.code == .versionNotFound || $0.code == .maxFrameSizeNotFound ? nil : $0
            })
        check(caught { try SPOPDisconnect(payload: payload) })
    }

    /// Runs `input` through a state machine (fresh or past HELLO) in random pieces.
    static func exerciseMachine(_ input: [UInt8], established: Bool, _ rng: inout SplitMix64) {
        var machine = SPOPConnectionStateMachine(
            configuration: SPOPConfiguration(maxReassembledPayload: 64 << 10))
        if established { _ = run(&machine, hex(Vectors.hello26)) }
        let actions = run(&machine, input, step: [0, 0, 2, 16].randomElement(using: &rng)!)
        for (i, action) in actions.enumerated() {
            switch action {
            case .sendAgentDisconnect(let disconnect, _):
                #expect(i == actions.count - 1, "actions after a disconnect for \(hexString(input))")
                #expect(disconnect.status.isDefined)
                #expect(machine.isClosed)
            case .sendAgentHello(_, let closeAfterwards):
                if closeAfterwards { #expect(i == actions.count - 1) }
            case .handleNotify(let notify):
                #expect(Array(notify.messages).count == notify.messages.count)
            case .nothing, .discardedNotify:
                break
            }
        }
    }

    @Test("30,000 mutated valid inputs")
    func mutated() {
        let corpus = Self.corpus()
        var rng = SplitMix64(seed: 0x5EED_0001)
        var decoded = 0
        for n in 0..<30_000 {
            let input = Self.mutate(corpus[n % corpus.count], corpus, &rng)
            decoded += Self.exerciseDecoder(
                input, maxFrameSize: [256, 4096, 16380].randomElement(using: &rng)!, step: n % 8 == 0 ? 5 : 0)
            Self.exerciseMachine(input, established: n % 4 != 0, &rng)
        }
        // The mutations must leave many inputs decodable, or the parsers were barely reached.
        #expect(decoded > 10_000)
    }

    @Test("25,000 random inputs")
    func random() {
        var rng = SplitMix64(seed: 0x5EED_0002)
        for n in 0..<25_000 {
            let input = Self.randomInput(&rng)
            Self.exerciseDecoder(input, maxFrameSize: 16380, step: 0)
            Self.exerciseMachine(input, established: n % 2 == 0, &rng)
        }
    }

    @Test("random payloads straight into the payload parsers")
    func payloads() {
        var rng = SplitMix64(seed: 0x5EED_0003)
        let corpus = Self.corpus().map { Array($0.dropFirst(11)) }
        for n in 0..<10_000 {
            let payload = n % 2 == 0 ? Self.randomInput(&rng) : Self.mutate(corpus[n % corpus.count], corpus, &rng)
            Self.checkParsers(ByteBuffer(bytes: payload), input: payload)
        }
    }
}
