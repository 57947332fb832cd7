import Testing
import TidegateHTTP

@Suite("Chunked body scanner")
struct ChunkedBodyScannerTests {
    static let valid: [String] = [
        "0\r\n\r\n",
        "5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
        "5;name=value\r\nhello\r\n0;last\r\n\r\n",
        "5 ; a=b ;c\r\nhello\r\n0\r\n\r\n",
        "5\t;x=\"quoted; value\"\r\nhello\r\n0\r\n\r\n",
        "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nOther: two\r\n\r\n",
        "5\nhello\n0\n\n",
        "5\r\nhello\n3\nabc\r\n0\nT: v\n\n",
        "00005\r\nhello\r\n000\r\n\r\n",
        "1\r\n\r\r\n2\r\n\r\n\r\n0\r\n\r\n",
        "5\r\n0\r\n\r\n\r\n0\r\n\r\n",
        "0\r\nT: a\r\nU: b\n\r\n",
        "5 \t \r\nhello\r\n0 \r\n\r\n",
        "5\t\nhello\n0\n\n",
    ]

    @Test(arguments: valid)
    func validBodyWholeAndByteByByte(text: String) {
        let input = Array(text.utf8)
        #expect(scanWhole(input) == .scanned(consumed: input.count, complete: true))
        #expect(scanPieces(input, cuts: Array(1..<input.count)) == .scanned(consumed: input.count, complete: true))
    }

    @Test(arguments: valid)
    func validBodySplitAtEveryBoundary(text: String) {
        let input = Array(text.utf8)
        for cut in 0...input.count {
            #expect(
                scanPieces(input, cuts: [cut]) == .scanned(consumed: input.count, complete: true), "cut at \(cut)")
        }
    }

    @Test func everyPairOfSplitPoints() {
        let input = Array("5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n".utf8)
        for a in 0...input.count {
            for b in a...input.count {
                #expect(
                    scanPieces(input, cuts: [a, b]) == .scanned(consumed: input.count, complete: true),
                    "cuts at \(a), \(b)")
            }
        }
    }

    @Test(arguments: valid)
    func bytesAfterTheEndAreNotConsumed(text: String) {
        let body = Array(text.utf8)
        let input = body + Array("GET /next HTTP/1.1\r\n\r\n".utf8)
        #expect(scanWhole(input) == .scanned(consumed: body.count, complete: true))
        for cut in 0...input.count {
            #expect(scanPieces(input, cuts: [cut]) == .scanned(consumed: body.count, complete: true), "cut at \(cut)")
        }
        #expect(scanPieces(input, cuts: Array(1..<input.count)) == .scanned(consumed: body.count, complete: true))
    }

    @Test func completeScannerConsumesNothingMore() {
        var scanner = ChunkedBodyScanner()
        #expect(!scanner.isComplete)
        #expect(scan(&scanner, ArraySlice("0\r\n\r\n".utf8)) == .success(5))
        #expect(scanner.isComplete)
        #expect(scan(&scanner, ArraySlice("abc".utf8)) == .success(0))
        #expect(scan(&scanner, []) == .success(0))
        #expect(scanner.isComplete)
    }

    @Test func incompleteBodies() {
        for text in [
            "", "5", "5\r", "5\r\n", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n0", "0\r\n",
            "0\r\n\r", "0\r\nT: v\r\n", "0\r\nT: v", "5;ext",
        ] {
            let input = Array(text.utf8)
            #expect(scanWhole(input) == .scanned(consumed: input.count, complete: false), "\(text.debugDescription)")
        }
    }

    @Test func largeChunkSizes() {
        // 15 hex digits is the longest size accepted.
        var scanner = ChunkedBodyScanner()
        let header = Array("FFFFFFFFFFFFFFF\r\n".utf8)
        #expect(scan(&scanner, header[...]) == .success(header.count))
        let data = [UInt8](repeating: 0x41, count: 4096)
        #expect(scan(&scanner, data[...]) == .success(4096))
        #expect(!scanner.isComplete)

        let fifteen = Array("000000000000001\r\nx\r\n0\r\n\r\n".utf8)
        #expect(scanWhole(fifteen) == .scanned(consumed: fifteen.count, complete: true))
    }

    @Test func chunkDataMayContainAnything() {
        var input = Array("8\r\n".utf8)
        input += [0, 0x0D, 0x0A, 0x0D, 0x0A, 0x30, 0xFF, 0x0A]
        input += Array("\r\n0\r\n\r\n".utf8)
        #expect(scanWhole(input) == .scanned(consumed: input.count, complete: true))
        for cut in 0...input.count {
            #expect(scanPieces(input, cuts: [cut]) == .scanned(consumed: input.count, complete: true))
        }
    }

    static let invalid: [String] = [
        "g\r\n",
        "\r\n",
        "\n",
        ";ext\r\n",
        " 5\r\n",
        "-5\r\n",
        "0x5\r\n",
        "5\rX",
        "5\r\r\n",
        "5\r\nhelloX",
        "5\r\nhello\rX",
        "5\r\nhello\r\r\n",
        "5\r\nhellohello\r\n0\r\n\r\n",
        "5\r\nhel\r\n0\r\n\r\n",
        "0\r\nX: y\rZ",
        "0\r\n\rX",
        "0\r\n\r\r\n",
        "5;a\u{01}b\r\nhello\r\n0\r\n\r\n",
        "5;a\0b\r\nhello\r\n0\r\n\r\n",
        "1000000000000000\r\n",
        "0000000000000001\r\n",
        "FFFFFFFFFFFFFFFF\r\n",
        "5 x\r\nhello\r\n0\r\n\r\n",
        "5 5\r\nhello\r\n0\r\n\r\n",
        "5 \u{01}\r\nhello\r\n0\r\n\r\n",
    ]

    @Test(arguments: invalid)
    func invalidBody(text: String) {
        let input = Array(text.utf8)
        #expect(scanWhole(input) == .failure(.invalidChunk))
        #expect(scanPieces(input, cuts: Array(1..<max(1, input.count))) == .failure(.invalidChunk))
        for cut in 0...input.count {
            #expect(scanPieces(input, cuts: [cut]) == .failure(.invalidChunk), "cut at \(cut)")
        }
    }

    @Test func errorOffsetPointsAtTheBadByte() {
        var scanner = ChunkedBodyScanner()
        let result = scan(&scanner, ArraySlice("5\r\nhelloX".utf8))
        #expect(result == .failure(HTTPParseError(.invalidChunk, offset: 8)))
    }
}
