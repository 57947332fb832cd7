import NIOCore
import SPOP
import Testing
import TestRandom

/// Bytes from hex text; spaces and newlines are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { !($0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n")) })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit: \(c)")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// A buffer holding the bytes of `text` (hex).
func buffer(hex text: String) -> ByteBuffer { ByteBuffer(bytes: hex(text)) }

/// Lowercase hex of the readable bytes.
func hexString(_ buffer: ByteBuffer) -> String {
    buffer.readableBytesView.map {
        String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
    }
    .joined()
}

func hexString(_ bytes: [UInt8]) -> String { hexString(ByteBuffer(bytes: bytes)) }

/// Runs `body`, returning the `SPOPError` it threw (nil when it did not throw). The codec's functions
/// throw `SPOPError` only (typed throws); closures here are inferred as untyped, hence the cast.
func caught<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> SPOPError? {
    do {
        _ = try body()
        return nil
    } catch let error as SPOPError {
        return error
    } catch {
        Issue.record("not an SPOPError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// What a decoder made of some input: the frames it returned, then how it stopped.
struct DecodeOutcome: Equatable, CustomStringConvertible {
    var frames: [SPOPFrame]
    var error: SPOPError?
    var leftover: Int

    var description: String { "\(frames.count) frame(s), error \(String(describing: error)), \(leftover) byte(s) left" }
}

/// Feeds `bytes` to a decoder `step` bytes at a time (all at once when 0), decoding after every piece.
func decode(
    _ bytes: [UInt8], maxFrameSize: Int = SPOPConfiguration.defaultMaxFrameSize, step: Int = 0
) -> DecodeOutcome {
    let decoder = SPOPFrameDecoder(maxFrameSize: maxFrameSize)
    var buffer = ByteBuffer()
    var frames: [SPOPFrame] = []
    var offset = 0
    repeat {
        let end = step == 0 ? bytes.count : min(bytes.count, offset + step)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        do throws(SPOPError) {
            while let frame = try decoder.decode(&buffer) { frames.append(frame) }
        } catch {
            return DecodeOutcome(frames: frames, error: error, leftover: buffer.readableBytes)
        }
    } while offset < bytes.count
    return DecodeOutcome(frames: frames, error: nil, leftover: buffer.readableBytes)
}

/// Decodes `bytes` whole and in pieces of several sizes; every way must agree. Returns the whole outcome.
@discardableResult
func decodeAllWays(
    _ bytes: [UInt8], maxFrameSize: Int = SPOPConfiguration.defaultMaxFrameSize,
    sourceLocation: SourceLocation = #_sourceLocation
) -> DecodeOutcome {
    let whole = decode(bytes, maxFrameSize: maxFrameSize)
    for step in [1, 2, 3, 7, 64] {
        var pieces = decode(bytes, maxFrameSize: maxFrameSize, step: step)
        // An error is found as soon as the offending bytes are in: fewer may have been fed then.
        if pieces.error != nil { pieces.leftover = whole.leftover }
        #expect(pieces == whole, "fed \(step) byte(s) at a time", sourceLocation: sourceLocation)
    }
    return whole
}

/// Decodes exactly one frame from hex, fed in pieces of every size too.
func frame(hex text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SPOPFrame {
    let outcome = decodeAllWays(hex(text), sourceLocation: sourceLocation)
    #expect(outcome.error == nil, sourceLocation: sourceLocation)
    #expect(outcome.leftover == 0, sourceLocation: sourceLocation)
    try #require(outcome.frames.count == 1, "\(outcome)", sourceLocation: sourceLocation)
    return outcome.frames[0]
}

/// Feeds `bytes` to a state machine `step` bytes at a time (all at once when 0); returns every action.
func run(
    _ machine: inout SPOPConnectionStateMachine, _ bytes: [UInt8], step: Int = 0
) -> [SPOPConnectionStateMachine.Action] {
    var buffer = ByteBuffer()
    var actions: [SPOPConnectionStateMachine.Action] = []
    var offset = 0
    repeat {
        let end = step == 0 ? bytes.count : min(bytes.count, offset + step)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        while let action = machine.read(from: &buffer) { actions.append(action) }
    } while offset < bytes.count
    return actions
}

/// Runs `bytes` through a fresh machine whole and in pieces; every way must agree.
func runAllWays(
    _ bytes: [UInt8], configuration: SPOPConfiguration = SPOPConfiguration(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> [SPOPConnectionStateMachine.Action] {
    var machine = SPOPConnectionStateMachine(configuration: configuration)
    let whole = run(&machine, bytes)
    for step in [1, 5, 100] {
        var other = SPOPConnectionStateMachine(configuration: configuration)
        #expect(
            run(&other, bytes, step: step) == whole, "fed \(step) byte(s) at a time", sourceLocation: sourceLocation)
    }
    return whole
}

/// The bytes of one frame written by `body`.
func written(_ body: (inout ByteBuffer) -> Void) -> [UInt8] {
    var out = ByteBuffer()
    body(&out)
    return Array(out.readableBytesView)
}

/// The status of the AGENT-DISCONNECT an action asks for, nil for any other action.
func disconnectStatus(_ action: SPOPConnectionStateMachine.Action?) -> SPOPStatus? {
    if case .sendAgentDisconnect(let disconnect, _) = action { return disconnect.status }
    return nil
}

/// The error behind an AGENT-DISCONNECT action, nil for any other action.
func disconnectError(_ action: SPOPConnectionStateMachine.Action?) -> SPOPError.Code? {
    if case .sendAgentDisconnect(_, .error(let error)) = action { return error.code }
    return nil
}
