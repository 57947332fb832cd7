import NIOCore
import Testing
import TidegateHTTP
import TestRandom

/// A comparable summary of everything a parsed head exposes, so the result of feeding a buffer
/// whole can be compared with the result of feeding it in pieces.
struct HeadSignature: Equatable, CustomStringConvertible {
    var kind: HTTPHead.Kind
    var written: [UInt8]
    var receivedLength: Int
    var consumed: Int
    var versionMinor: Int
    var status: Int
    var startLine: [String]
    var fields: [[String]]

    init(_ head: HTTPHead, consumed: Int) {
        var out = ByteBuffer()
        head.write(to: &out)
        kind = head.kind
        written = Array(out.readableBytesView)
        receivedLength = head.receivedLength
        self.consumed = consumed
        versionMinor = head.versionMinor
        status = head.status
        startLine =
            head.kind == .request
            ? [head.method, head.target, head.versionString]
            : [head.versionString, String(head.status), head.reason]
        fields = head.fields.indices.map { [head.name(at: $0), head.value(at: $0)] }
    }

    var description: String {
        "\(kind) \(startLine) fields=\(fields) received=\(receivedLength) consumed=\(consumed)"
    }
}

enum ParseOutcome: Equatable, CustomStringConvertible {
    case head(HeadSignature)
    case failure(HTTPParseError.Code)
    case incomplete

    var description: String {
        switch self {
        case .head(let s): return "head(\(s))"
        case .failure(let c): return "failure(\(c))"
        case .incomplete: return "incomplete"
        }
    }
}

let defaultMaxHeadSize = HTTPHeadParser().maxHeadSize
let defaultMaxFields = HTTPHeadParser().maxFields

/// Feeds `bytes` to a fresh parser: all at once when `step` is 0, otherwise `step` bytes at a time
/// (calling `parse` after every piece, as a channel handler would).
func feed(
    _ bytes: [UInt8], kind: HTTPHead.Kind, maxHeadSize: Int = defaultMaxHeadSize,
    maxFields: Int = defaultMaxFields, step: Int
) -> (ParseOutcome, HTTPHead?) {
    var parser = HTTPHeadParser(maxHeadSize: maxHeadSize, maxFields: maxFields)
    var buffer = ByteBuffer()
    var offset = 0
    repeat {
        let end = step == 0 ? bytes.count : min(bytes.count, offset + step)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        do {
            if let head = try parser.parse(&buffer, kind: kind) {
                return (.head(HeadSignature(head, consumed: buffer.readerIndex)), head)
            }
        } catch {
            return (.failure(error.code), nil)
        }
    } while offset < bytes.count
    return (.incomplete, nil)
}

/// Feeds `bytes` with the given chunk sizes (cycled), calling `parse` after every piece.
func feed(
    _ bytes: [UInt8], kind: HTTPHead.Kind, maxHeadSize: Int = defaultMaxHeadSize,
    maxFields: Int = defaultMaxFields, pieces: [Int]
) -> ParseOutcome {
    var parser = HTTPHeadParser(maxHeadSize: maxHeadSize, maxFields: maxFields)
    var buffer = ByteBuffer()
    var offset = 0
    var p = 0
    repeat {
        let size = max(1, pieces[p % pieces.count])
        p += 1
        let end = min(bytes.count, offset + size)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        do {
            if let head = try parser.parse(&buffer, kind: kind) {
                return .head(HeadSignature(head, consumed: buffer.readerIndex))
            }
        } catch {
            return .failure(error.code)
        }
    } while offset < bytes.count
    return .incomplete
}

/// Parses whole, then checks that byte-at-a-time and other piece sizes give the same outcome.
@discardableResult
func parseAllWays(
    _ bytes: [UInt8], kind: HTTPHead.Kind, maxHeadSize: Int = defaultMaxHeadSize,
    maxFields: Int = defaultMaxFields, sourceLocation: SourceLocation = #_sourceLocation
) -> (ParseOutcome, HTTPHead?) {
    let whole = feed(bytes, kind: kind, maxHeadSize: maxHeadSize, maxFields: maxFields, step: 0)
    for step in [1, 2, 3, 5, 16] {
        let other = feed(bytes, kind: kind, maxHeadSize: maxHeadSize, maxFields: maxFields, step: step)
        #expect(other.0 == whole.0, "fed \(step) byte(s) at a time", sourceLocation: sourceLocation)
    }
    return whole
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Parses `text` (every feeding pattern must agree) and requires a head.
func head(
    _ text: String, _ kind: HTTPHead.Kind = .request, maxHeadSize: Int = defaultMaxHeadSize,
    maxFields: Int = defaultMaxFields, sourceLocation: SourceLocation = #_sourceLocation
) throws -> HTTPHead {
    let (outcome, head) = parseAllWays(
        bytes(text), kind: kind, maxHeadSize: maxHeadSize, maxFields: maxFields, sourceLocation: sourceLocation)
    return try #require(head, "expected a head, got \(outcome)", sourceLocation: sourceLocation)
}

/// Parses `text` (every feeding pattern must agree) and returns the error code, nil if it did not throw.
func parseError(
    _ text: String, _ kind: HTTPHead.Kind = .request, maxHeadSize: Int = defaultMaxHeadSize,
    maxFields: Int = defaultMaxFields, sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPParseError.Code? {
    parseError(bytes(text), kind, maxHeadSize: maxHeadSize, maxFields: maxFields, sourceLocation: sourceLocation)
}

func parseError(
    _ input: [UInt8], _ kind: HTTPHead.Kind = .request, maxHeadSize: Int = defaultMaxHeadSize,
    maxFields: Int = defaultMaxFields, sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPParseError.Code? {
    let (outcome, _) = parseAllWays(
        input, kind: kind, maxHeadSize: maxHeadSize, maxFields: maxFields, sourceLocation: sourceLocation)
    if case .failure(let code) = outcome { return code }
    return nil
}

/// The bytes `write(to:)` produces, as a string.
func written(_ head: HTTPHead) -> String {
    var out = ByteBuffer()
    head.write(to: &out)
    return String(decoding: out.readableBytesView, as: UTF8.self)
}

func writtenBytes(_ head: HTTPHead) -> [UInt8] {
    var out = ByteBuffer()
    head.write(to: &out)
    return Array(out.readableBytesView)
}

/// The fields of a head as (name, value) string pairs.
func fieldPairs(_ head: HTTPHead) -> [[String]] {
    head.fields.indices.map { [head.name(at: $0), head.value(at: $0)] }
}

// MARK: - Framing helpers (typed throws captured as Result)

func requestFraming(_ head: inout HTTPHead) -> Result<HTTPBodyFraming, HTTPParseError> {
    do { return .success(try head.requestFraming()) } catch { return .failure(error) }
}

func responseFraming(_ head: inout HTTPHead, isHeadRequest: Bool = false) -> Result<HTTPBodyFraming, HTTPParseError> {
    do { return .success(try head.responseFraming(isHeadRequest: isHeadRequest)) } catch { return .failure(error) }
}

// MARK: - Chunked scanner helpers

enum ScanOutcome: Equatable, CustomStringConvertible {
    case scanned(consumed: Int, complete: Bool)
    case failure(HTTPParseError.Code)

    var description: String {
        switch self {
        case .scanned(let consumed, let complete): return "scanned(\(consumed), complete: \(complete))"
        case .failure(let code): return "failure(\(code))"
        }
    }
}

func scan(_ scanner: inout ChunkedBodyScanner, _ bytes: ArraySlice<UInt8>) -> Result<Int, HTTPParseError> {
    bytes.withUnsafeBytes { raw in
        do throws(HTTPParseError) { return .success(try scanner.scan(raw)) } catch { return .failure(error) }
    }
}

/// Scans `input` cut at `cuts` (sorted offsets), stopping once the scanner leaves bytes unconsumed.
func scanPieces(_ input: [UInt8], cuts: [Int]) -> ScanOutcome {
    var scanner = ChunkedBodyScanner()
    var total = 0
    var start = 0
    for end in cuts + [input.count] {
        let piece = input[start..<end]
        start = end
        switch scan(&scanner, piece) {
        case .failure(let error): return .failure(error.code)
        case .success(let n):
            #expect(n >= 0 && n <= piece.count)
            total += n
            if n < piece.count {
                // Stopped early: only allowed once the body is complete, and it must then stay put.
                #expect(scanner.isComplete)
                if case .success(let again) = scan(&scanner, input[end...]) { #expect(again == 0) }
                return .scanned(consumed: total, complete: scanner.isComplete)
            }
        }
    }
    return .scanned(consumed: total, complete: scanner.isComplete)
}

func scanWhole(_ input: [UInt8]) -> ScanOutcome { scanPieces(input, cuts: []) }
