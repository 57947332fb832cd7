import NIOCore

/// The bytes of one direction of a TCP stream while the proxy holds them for content inspection (HAProxy's
/// channel buffer): `tcp-request content` / `tcp-response content` rules, `req.len`, and Lua's `txn.req` /
/// `txn.res`. Owned by the TCP proxy, which appends received bytes to `input`, writes out and empties `output`,
/// sets `inputEnded` when the peer closed its side and `isFinal` when the rules may not wait any longer; scripts
/// read and rewrite `input` and move bytes to `output` (`forward`, `send`).
///
/// Confined to the stream's event loop.
public final class ChannelBuffer {
    /// Received bytes not yet forwarded: what `data`, `line`, `set`, `insert`, `remove`... work on.
    public var input: ByteBuffer
    /// Bytes forwarded or injected, waiting to be written by the proxy.
    public var output: ByteBuffer
    /// The buffer size (`tune.bufsize`): `is_full`, and how much `append`/`set`... may add.
    public var capacity: Int
    /// The peer closed its side: no more input will come.
    public var inputEnded: Bool
    /// Nothing more will be waited for (no inspect-delay, or it expired, or the inspection is over): readers take
    /// what is there instead of waiting for more.
    public var isFinal: Bool
    private var waiters: [() -> Void] = []

    public init(
        input: ByteBuffer = ByteBuffer(), capacity: Int = 16384, inputEnded: Bool = false, isFinal: Bool = false
    ) {
        self.input = input
        self.output = ByteBuffer()
        self.capacity = capacity
        self.inputEnded = inputEnded
        self.isFinal = isFinal
    }

    /// Free room for new bytes.
    public var room: Int { max(self.capacity - self.input.readableBytes - self.output.readableBytes, 0) }

    public var isFull: Bool { self.room == 0 }

    /// Whether a reader may wait for more input (HAProxy: `!channel_input_closed && channel_may_recv`, and the
    /// rules are not final).
    public var mayReceive: Bool { !self.inputEnded && !self.isFull && !self.isFinal }

    /// The input bytes in `range` (offsets relative to the input start).
    public func bytes(_ range: Range<Int>) -> [UInt8] {
        guard let view = self.input.viewBytes(at: self.input.readerIndex + range.lowerBound, length: range.count)
        else { return [] }
        return Array(view)
    }

    /// Replaces input `range` with `bytes`; false when the result would not fit.
    public func replace(_ range: Range<Int>, with bytes: [UInt8]) -> Bool {
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
    public func forward(_ count: Int) -> Int {
        let moved = min(max(count, 0), self.input.readableBytes)
        if moved > 0, var slice = self.input.readSlice(length: moved) {
            self.output.writeBuffer(&slice)
        }
        return moved
    }

    /// Appends bytes received from the peer, and wakes the readers waiting for them.
    public func receive(_ bytes: inout ByteBuffer) {
        self.input.writeBuffer(&bytes)
        self.changed()
    }

    /// Takes the bytes to write out: the output, then (when `all`) the input too. Both are left empty.
    public func take(all: Bool) -> ByteBuffer {
        var taken = self.output
        self.output = ByteBuffer()
        if all, self.input.readableBytes > 0 {
            if taken.readableBytes == 0 {
                taken = self.input
            } else {
                taken.writeBuffer(&self.input)
            }
            self.input = ByteBuffer()
        }
        return taken
    }

    /// Runs `body` once, at the next change: input received, input ended, or waiting ended (`changed()`).
    public func whenChanged(_ body: @escaping () -> Void) {
        self.waiters.append(body)
    }

    /// Wakes the readers waiting for a change (call after setting `inputEnded` or `isFinal`).
    public func changed() {
        guard !self.waiters.isEmpty else { return }
        let waiters = self.waiters
        self.waiters.removeAll()
        for waiter in waiters { waiter() }
    }
}
