import NIOCore
import Testing
import TidegateHTTP
import TestRandom

/// Random and mutated inputs: the parser and scanner must throw or return, never trap, and the
/// result must not depend on how the bytes were split.
@Suite("Robustness")
struct RobustnessTests {
    static let requestSeeds: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
        "PUT http://h:8080/p?q HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "\r\nOPTIONS * HTTP/1.0\nConnection: Upgrade\nUpgrade: websocket\n\n",
        "GET /a HTTP/1.1\r\nX:\r\nY:  v  \r\n\r\nGET /b HTTP/1.1\r\n\r\n",
    ]
    static let responseSeeds: [String] = [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 204\r\n\r\n",
        "HTTP/1.0 404 Not Found\r\nServer: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\nConnection: upgrade\nUpgrade: h2c\n\n",
    ]
    static let chunkedSeeds: [String] = [
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n",
        "A\nabcdefghij\n0\n\n",
    ]
    static let alphabet = Array(
        "GETPOSHTP/1.0 \r\n\t:;,-chunkedContent-LengthTransfer-Encoding0123456789abcdef?*%".utf8)

    static func randomBytes(_ rng: inout SplitMix64) -> [UInt8] {
        let count = Int.random(in: 0...160, using: &rng)
        let printable = Bool.random(using: &rng)
        return (0..<count).map { _ in
            printable ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        }
    }

    static func mutate(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var out = seed
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = out.isEmpty ? 0 : Int.random(in: 0..<out.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !out.isEmpty: out[at] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !out.isEmpty: out[at] = alphabet.randomElement(using: &rng)!
            case 2: out.insert(alphabet.randomElement(using: &rng)!, at: at)
            case 3 where !out.isEmpty: out.remove(at: at)
            case 4: out.insert(contentsOf: Array("\r\n".utf8), at: at)
            case 5: out.insert(contentsOf: [0x0A], at: at)
            case 6 where !out.isEmpty:
                let end = min(out.count, at + Int.random(in: 1...12, using: &rng))
                out.insert(contentsOf: out[at..<end], at: at)
            case 7: out = Array(out.prefix(at))
            default: break
            }
        }
        return out
    }

    /// Exercises everything a proxy would do with a head; must not trap.
    static func exercise(_ head: HTTPHead) {
        var h = head
        _ = h.description
        _ = h.connectionOptions
        _ = h.path
        _ = h.query
        _ = h.method
        _ = h.reason
        _ = h.splitValues(named: "connection")
        _ = h.hasToken("close", inFieldNamed: "connection")
        if h.kind == .request {
            _ = try? h.requestFraming()
        } else {
            _ = try? h.responseFraming(isHeadRequest: false)
        }
        // Edited output must parse back as the same kind of head.
        h.add(name: "X-Fuzz", value: "1")
        let bytes = writtenBytes(h)
        var parser = HTTPHeadParser(maxHeadSize: 1 << 20, maxFields: 1000)
        var buffer = ByteBuffer(bytes: bytes)
        do {
            let back = try #require(try parser.parse(&buffer, kind: h.kind))
            #expect(back.fields.count == h.fields.count)
            #expect(buffer.readableBytes == 0)
            #expect(back.status == h.status)
            #expect(back.versionMinor == h.versionMinor)
        } catch {
            Issue.record(
                "edited head does not parse back: \(error)\n\(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
        if h.kind == .request {
            h.setPath("/x")
            h.setQuery("y")
            _ = h.description
        } else {
            h.setStatus(502)
            _ = h.description
        }
    }

    /// Counts of outcomes, to make sure the inputs reach every path.
    struct Tally {
        var heads = 0
        var failures: [HTTPParseError.Code: Int] = [:]
        var incomplete = 0
        mutating func record(_ outcome: ParseOutcome) {
            switch outcome {
            case .head: heads += 1
            case .failure(let code): failures[code, default: 0] += 1
            case .incomplete: incomplete += 1
            }
        }
    }

    @discardableResult
    static func checkParser(_ input: [UInt8], kind: HTTPHead.Kind, rng: inout SplitMix64) -> ParseOutcome {
        let maxHeadSize =
            Int.random(in: 0..<4, using: &rng) > 0 ? defaultMaxHeadSize : Int.random(in: 1...200, using: &rng)
        let maxFields = Bool.random(using: &rng) ? defaultMaxFields : Int.random(in: 0...4, using: &rng)
        let (whole, head) = feed(input, kind: kind, maxHeadSize: maxHeadSize, maxFields: maxFields, step: 0)
        let pieces = (0..<4).map { _ in Int.random(in: 1...9, using: &rng) }
        let split = feed(input, kind: kind, maxHeadSize: maxHeadSize, maxFields: maxFields, pieces: pieces)
        #expect(
            split == whole,
            "input \(String(decoding: input, as: UTF8.self).debugDescription) pieces \(pieces) max \(maxHeadSize)/\(maxFields)"
        )
        if let head {
            #expect(head.receivedLength <= maxHeadSize)
            #expect(head.fields.count <= maxFields)
            if case .head(let sig) = whole { #expect(sig.consumed <= input.count) }
            exercise(head)
        }
        return whole
    }

    @discardableResult
    static func checkScanner(_ input: [UInt8], rng: inout SplitMix64) -> ScanOutcome {
        let whole = scanWhole(input)
        var cuts: [Int] = []
        if !input.isEmpty {
            cuts = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Int.random(in: 0...input.count, using: &rng) }
            cuts.sort()
        }
        #expect(
            scanPieces(input, cuts: cuts) == whole,
            "input \(String(decoding: input, as: UTF8.self).debugDescription) cuts \(cuts)")
        if case .scanned(let consumed, _) = whole { #expect(consumed <= input.count) }
        return whole
    }

    @Test func randomBytesThroughParser() {
        var rng = SplitMix64(seed: 0x7161_6465_6761_7465)
        var tally = Tally()
        for _ in 0..<2000 {
            let input = Self.randomBytes(&rng)
            tally.record(Self.checkParser(input, kind: .request, rng: &rng))
            tally.record(Self.checkParser(input, kind: .response, rng: &rng))
            // Random garbage after a valid start line and before the blank line.
            let framed = Array("GET / HTTP/1.1\r\n".utf8) + input.filter { $0 != 0x0A } + Array("\r\n\r\n".utf8)
            tally.record(Self.checkParser(framed, kind: .request, rng: &rng))
        }
        #expect(tally.failures.count >= 4, "\(tally)")
        #expect(tally.incomplete > 0)
    }

    @Test func mutatedHeadsThroughParser() {
        var rng = SplitMix64(seed: 42)
        var tally = Tally()
        for i in 0..<5000 {
            let useRequest = i % 2 == 0
            let seeds = useRequest ? Self.requestSeeds : Self.responseSeeds
            let seed = Array(seeds[i / 2 % seeds.count].utf8)
            let input = Self.mutate(seed, &rng)
            tally.record(Self.checkParser(input, kind: useRequest ? .request : .response, rng: &rng))
        }
        #expect(tally.heads > 500, "\(tally)")
        #expect(tally.failures.count >= 8, "\(tally)")
        #expect(tally.incomplete > 0, "\(tally)")
    }

    @Test func randomAndMutatedBytesThroughScanner() {
        var rng = SplitMix64(seed: 7)
        var complete = 0
        var failed = 0
        for i in 0..<3000 {
            let input =
                i % 3 == 0
                ? Self.randomBytes(&rng)
                : Self.mutate(Array(Self.chunkedSeeds[i % Self.chunkedSeeds.count].utf8), &rng)
            switch Self.checkScanner(input, rng: &rng) {
            case .scanned(_, true): complete += 1
            case .failure: failed += 1
            default: break
            }
        }
        #expect(complete > 100, "\(complete) complete")
        #expect(failed > 100, "\(failed) failed")
    }

    @Test func seedsAreValid() throws {
        for seed in Self.requestSeeds { _ = try head(seed) }
        for seed in Self.responseSeeds { _ = try head(seed, .response) }
        for seed in Self.chunkedSeeds {
            let input = Array(seed.utf8)
            #expect(scanWhole(input) == .scanned(consumed: input.count, complete: true))
        }
    }
}
