import NIOCore

/// The bytes of one direction of a TCP stream as Lua's `Channel` sees them (`txn.req` / `txn.res` in TCP mode).
/// Owned by the TCP proxy, which puts received bytes in `input`, writes out and empties `output`, and sets
/// `inputEnded` when the peer closed its side; Lua reads and rewrites `input` and moves bytes to `output`
/// (`forward`, `send`).
public final class LuaChannelBuffer {
    /// Received bytes not yet forwarded: what `data`, `line`, `set`, `insert`, `remove`... work on.
    public var input: ByteBuffer
    /// Bytes forwarded or sent by Lua, waiting to be written by the proxy.
    public var output: ByteBuffer
    /// The buffer size (`tune.bufsize`): `is_full`, and how much `append`/`set`... may add.
    public var capacity: Int
    /// The peer closed its side: no more input will come.
    public var inputEnded: Bool

    public init(input: ByteBuffer = ByteBuffer(), capacity: Int = 16384, inputEnded: Bool = false) {
        self.input = input
        self.output = ByteBuffer()
        self.capacity = capacity
        self.inputEnded = inputEnded
    }

    /// Free room for new bytes.
    public var room: Int { max(self.capacity - self.input.readableBytes - self.output.readableBytes, 0) }

    public var isFull: Bool { self.room == 0 }

    /// The input bytes in `range` (offsets relative to the input start).
    func bytes(_ range: Range<Int>) -> [UInt8] {
        guard let view = self.input.viewBytes(at: self.input.readerIndex + range.lowerBound, length: range.count)
        else { return [] }
        return Array(view)
    }

    /// Replaces input `range` with `bytes`; false when the result would not fit.
    func replace(_ range: Range<Int>, with bytes: [UInt8]) -> Bool {
        guard bytes.count - range.count <= self.room else { return false }
        var all = Array(self.input.readableBytesView)
        all.replaceSubrange(range, with: bytes)
        var rebuilt = ByteBuffer()
        rebuilt.reserveCapacity(all.count)
        rebuilt.writeBytes(all)
        self.input = rebuilt
        return true
    }

    /// Moves up to `count` input bytes to the output; returns how many moved.
    func forward(_ count: Int) -> Int {
        let moved = min(max(count, 0), self.input.readableBytes)
        if moved > 0, var slice = self.input.readSlice(length: moved) {
            self.output.writeBuffer(&slice)
        }
        return moved
    }
}
