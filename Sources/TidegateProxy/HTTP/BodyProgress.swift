import NIOCore
import TidegateHTTP

/// Tracks one message body while its bytes are forwarded unchanged.
struct BodyProgress {
    private enum State {
        case length(UInt64)
        case chunked(ChunkedBodyScanner)
        case untilClose
        case complete
    }

    private var state: State
    /// Body bytes forwarded so far (including chunk framing).
    private(set) var forwarded: UInt64 = 0

    init(_ framing: HTTPBodyFraming) {
        switch framing {
        case .none: state = .complete
        case .length(let n): state = n == 0 ? .complete : .length(n)
        case .chunked: state = .chunked(ChunkedBodyScanner())
        case .untilClose: state = .untilClose
        }
    }

    static let empty = BodyProgress(.none)

    var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    var isUntilClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// Removes from `buffer` the bytes that belong to this body and returns them (nil if none).
    mutating func take(from buffer: inout ByteBuffer) throws(HTTPParseError) -> ByteBuffer? {
        let available = buffer.readableBytes
        guard available > 0 else { return nil }
        let count: Int
        switch state {
        case .complete:
            return nil
        case .length(let remaining):
            count = Int(min(remaining, UInt64(available)))
            let left = remaining - UInt64(count)
            state = left == 0 ? .complete : .length(left)
        case .chunked(var scanner):
            let result: Result<Int, HTTPParseError> = buffer.withUnsafeReadableBytes { raw in
                do throws(HTTPParseError) { return .success(try scanner.scan(raw)) } catch { return .failure(error) }
            }
            count = try result.get()
            state = scanner.isComplete ? .complete : .chunked(scanner)
        case .untilClose:
            count = available
        }
        forwarded += UInt64(count)
        return count > 0 ? buffer.readSlice(length: count) : nil
    }

    /// The sender closed: an until-close body is complete, others are truncated.
    mutating func senderClosed() -> Bool {
        if case .untilClose = state { state = .complete }
        return isComplete
    }
}
