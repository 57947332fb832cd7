// spop-codec-bench: how many NOTIFY frames the SPOP codec decodes, and ACK frames it encodes, per second on
// one core. The NOTIFY is shaped like the one HAProxy 2.6 sends for a typical `spoe-message` (one message,
// five arguments: IPV4, INT64, two STRINGs, a BINARY header block); the ACK sets five variables of mixed
// types, as the agent benchmark's handler does. Single-threaded: the numbers are per core.
//
// Usage: spop-codec-bench [--seconds S] [--rounds N] [--iterations N]
// --iterations runs each row exactly N times after a short warm-up instead of for a duration (for
// profilers and allocation counters: run it with two counts and compare).

import NIOCore
import SPOP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Command line: how long each measurement runs and how many times.
struct Options {
    var seconds = 1.0
    var rounds = 3
    var iterations: Int? = nil

    init(_ arguments: [String]) {
        var rest = arguments[...]
        while let option = rest.popFirst() {
            switch option {
            case "--seconds": seconds = Double(rest.popFirst() ?? "") ?? seconds
            case "--rounds": rounds = max(1, Int(rest.popFirst() ?? "") ?? rounds)
            case "--iterations": iterations = max(1, Int(rest.popFirst() ?? "") ?? 1)
            case "-h", "--help":
                print("usage: spop-codec-bench [--seconds S] [--rounds N] [--iterations N]")
                exit(0)
            default:
                print("unknown option \(option)")
                exit(2)
            }
        }
    }
}

// MARK: - Input

/// `req.hdrs_bin` of `GET /foo` from curl: (name, value) pairs ended by two empty strings.
func headerBlock() -> [UInt8] {
    var block = ByteBuffer()
    for (name, value) in [
        ("host", "127.0.0.1:18080"), ("user-agent", "curl/7.88.1"), ("accept", "*/*"), ("x-test", "a"),
    ] {
        block.writeSPOPBytes(name)
        block.writeSPOPBytes(value)
    }
    block.writeBytes([0, 0])
    return Array(block.readableBytesView)
}

let notifyFrame: ByteBuffer = {
    var frame = ByteBuffer()
    let mark = frame.beginSPOPFrame(.notify, streamID: 4242, frameID: 1)
    frame.writeSPOPMessageHeader(name: "check-req".utf8, argumentCount: 5)
    frame.writeSPOPKVItem(name: "ip", value: .ipv4(SPOPIPv4Address(192, 168, 10, 21)))
    frame.writeSPOPKVItem(name: "port", value: .int64(56888))
    frame.writeSPOPKVItem(name: "method", value: SPOPTypedData(string: "GET"))
    frame.writeSPOPKVItem(name: "path", value: SPOPTypedData(string: "/foo/bar?x=1"))
    frame.writeSPOPKVItem(name: "hdrs", value: SPOPTypedData(binary: headerBlock()))
    frame.finishSPOPFrame(mark)
    return frame
}()

func establishedMachine() -> SPOPConnectionStateMachine {
    var machine = SPOPConnectionStateMachine()
    var hello = ByteBuffer()
    hello.writeSPOPHAProxyHello(SPOPHAProxyHello(engineID: "bench"))
    guard case .sendAgentHello = machine.read(from: &hello) else { fatalError("HELLO refused") }
    return machine
}

func actionValues() -> [SPOPAction] {
    let textValue = ByteBuffer(string: "hello")
    return [
        SPOPAction(set: "score", scope: .transaction, to: .int32(42)),
        SPOPAction(set: "neg", scope: .transaction, to: .int64(-5)),
        SPOPAction(set: "ip", scope: .session, to: .ipv4(SPOPIPv4Address(10, 1, 2, 3))),
        SPOPAction(set: "txt", scope: .transaction, to: .string(textValue)),
        SPOPAction(set: "flag", scope: .request, to: .bool(true)),
    ]
}

// MARK: - Work

/// What a handler does with the arguments: look at every value (folded into a checksum so that the
/// optimiser cannot drop the decoding).
@inline(__always)
func consume(_ value: SPOPTypedData) -> UInt64 {
    switch value {
    case .null: return 1
    case .bool(let b): return b ? 3 : 2
    case .int32(let v): return UInt64(truncatingIfNeeded: v)
    case .uint32(let v): return UInt64(v)
    case .int64(let v): return UInt64(bitPattern: v)
    case .uint64(let v): return v
    case .ipv4(let a): return UInt64(a.rawValue)
    case .ipv6(let a): return a.high ^ a.low
    case .string(let b), .binary(let b): return UInt64(b.readableBytes)
    }
}

@inline(__always)
func decodeNotify(_ machine: inout SPOPConnectionStateMachine, _ frame: ByteBuffer) -> (UInt64, UInt64, UInt64) {
    var input = frame
    guard case .handleNotify(let notify) = machine.read(from: &input) else { fatalError("NOTIFY refused") }
    var sum: UInt64 = 0
    for message in notify.messages {
        sum &+= UInt64(message.name.readableBytes)
        for argument in message.arguments { sum &+= consume(argument.value) &+ UInt64(argument.name.readableBytes) }
    }
    return (notify.streamID, notify.frameID, sum)
}

/// The ACK written straight into the output buffer, values from the handler's own storage.
@inline(__always)
func encodeAckDirect(_ out: inout ByteBuffer, streamID: UInt64, frameID: UInt64) -> Int {
    let mark = out.beginSPOPFrame(.ack, streamID: streamID, frameID: frameID)
    out.writeSPOPSetVar(scope: .transaction, name: "score", value: .int32(42))
    out.writeSPOPSetVar(scope: .transaction, name: "neg", value: .int64(-5))
    out.writeSPOPSetVar(scope: .session, name: "ip", value: .ipv4(SPOPIPv4Address(10, 1, 2, 3)))
    out.writeSPOPSetVarPrefix(scope: .transaction, name: "txt".utf8)
    out.writeSPOPString("hello".utf8)
    out.writeSPOPSetVar(scope: .request, name: "flag", value: .bool(true))
    return out.finishSPOPFrame(mark)
}

/// Runs `body` repeatedly for about `seconds`, `rounds` times; returns the best nanoseconds per call.
func measure(_ options: Options, _ body: () -> UInt64) -> (nanoseconds: Double, checksum: UInt64) {
    var best = Double.infinity
    var checksum: UInt64 = 0
    let clock = ContinuousClock()
    for _ in 0..<100 { checksum &+= body() }  // warm-up
    if let count = options.iterations {
        let start = clock.now
        for _ in 0..<count { checksum &+= body() }
        let elapsed = clock.now - start
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        return (ns / Double(count), checksum)
    }
    for _ in 0..<10_000 { checksum &+= body() }  // warm-up
    for _ in 0..<options.rounds {
        var iterations = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            for _ in 0..<10_000 { checksum &+= body() }
            iterations += 10_000
            elapsed = clock.now - start
        } while elapsed < .milliseconds(Int64(options.seconds * 1000))
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        best = min(best, ns / Double(iterations))
    }
    return (best, checksum)
}

func runBenchmark() {
    let options = Options(Array(CommandLine.arguments.dropFirst()))
    let notify = notifyFrame
    let actions = actionValues()
    var machine = establishedMachine()
    var out = ByteBuffer()
    out.reserveCapacity(4096)

    let rows: [(String, () -> UInt64)] = [
        (
            "decode NOTIFY (state machine, 5 args read)",
            {
                let (sid, fid, sum) = decodeNotify(&machine, notify)
                return sid &+ fid &+ sum
            }
        ),
        (
            "encode ACK (5 set-var, direct writers)",
            {
                out.clear()
                return UInt64(encodeAckDirect(&out, streamID: 4242, frameID: 1))
            }
        ),
        (
            "encode ACK (5 set-var, [SPOPAction])",
            {
                out.clear()
                return UInt64(out.writeSPOPAck(streamID: 4242, frameID: 1, actions: actions))
            }
        ),
        (
            "NOTIFY decoded + ACK encoded (direct)",
            {
                let (sid, fid, sum) = decodeNotify(&machine, notify)
                out.clear()
                return sum &+ UInt64(encodeAckDirect(&out, streamID: sid, frameID: fid))
            }
        ),
    ]

    var ackBytes = ByteBuffer()
    _ = encodeAckDirect(&ackBytes, streamID: 4242, frameID: 1)
    print("SPOP codec, one core: NOTIFY \(notify.readableBytes) bytes (1 message, 5 args),", terminator: " ")
    print("ACK \(ackBytes.readableBytes) bytes (5 set-var)")
    if let count = options.iterations {
        print("\(count) iterations per row")
    } else {
        print("best of \(options.rounds) rounds of \(options.seconds) s")
    }
    print("")
    let nameWidth = rows.map(\.0.count).max()!
    func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? fill + s : s + fill
    }
    print(
        pad("operation", nameWidth) + "  " + pad("ns each", 9, left: true) + "  " + pad("per s, 1 core", 14, left: true)
    )
    print(String(repeating: "-", count: nameWidth + 27))
    var checksum: UInt64 = 0
    for (name, body) in rows {
        let (ns, sum) = measure(options, body)
        checksum &+= sum
        let perSecond = 1e9 / ns
        let rate =
            perSecond >= 1e6
            ? "\((perSecond / 1e4).rounded() / 100) M" : "\((perSecond / 10).rounded() / 100) k"
        print(pad(name, nameWidth) + "  " + pad(String(format1(ns)), 9, left: true) + "  " + pad(rate, 14, left: true))
    }
    print("")
    print("(checksum \(checksum), printed so that the work cannot be optimised away)")
}

func format1(_ value: Double) -> String { "\((value * 10).rounded() / 10)" }

runBenchmark()
