import NIOCore
import TidegateCore
import TidegateLua

/// The Swift side of `txn.req` / `txn.res`.
///
/// In HTTP mode only `input`, `output`, `may_recv`, `is_full` and `is_resp` are allowed (HAProxy since 2.3);
/// the others raise. In TCP mode the methods work on the stream's `ChannelBuffer` (`requestChannel` /
/// `responseChannel`); a channel with no buffer is empty and closed. As in HAProxy, `data`, `line`, `getline` and
/// `forward` wait (yield) for more input when they need it, the channel may still receive and the code may wait (an
/// action while the inspection is not final); otherwise they return what is buffered now. `send` never waits.
public final class LuaChannel {
    let transaction: LuaTransaction
    let isResponse: Bool

    init(transaction: LuaTransaction, isResponse: Bool) {
        self.transaction = transaction
        self.isResponse = isResponse
    }

    var buffer: LuaChannelBuffer? {
        self.isResponse ? self.transaction.responseChannel : self.transaction.requestChannel
    }

    static let luaClass = LuaClass<LuaChannel>(
        "Channel",
        methods: [
            LuaMethod("input", arguments: 0) { (channel: LuaChannel, _) in
                .values([.integer(Int64(channel.inputLength))])
            },
            LuaMethod("output", arguments: 0) { (channel: LuaChannel, _) in
                .values([.integer(Int64(channel.buffer?.output.readableBytes ?? 0))])
            },
            LuaMethod("is_full", arguments: 0) { (channel: LuaChannel, _) in
                .values([.boolean(channel.buffer?.isFull ?? false)])
            },
            LuaMethod("is_resp", arguments: 0) { (channel: LuaChannel, _) in
                .values([.boolean(channel.isResponse)])
            },
            LuaMethod("may_recv", arguments: 0) { (channel: LuaChannel, _) in
                guard let buffer = channel.buffer else { return .values([.boolean(channel.transaction.isHTTP)]) }
                return .values([.boolean(!buffer.inputEnded && !buffer.isFull)])
            },
            data("data", consume: false, line: false),
            data("line", consume: false, line: true),
            data("dup", consume: false, line: false, deprecated: true),
            data("get", consume: true, line: false, deprecated: true),
            data("getline", consume: true, line: true, deprecated: true),
            LuaMethod("get_in_len", arguments: 0) { (channel: LuaChannel, _) in
                let buffer = try channel.tcpBuffer()
                return .values([.integer(Int64(buffer.input.readableBytes))])
            },
            LuaMethod("get_out_len", arguments: 0) { (channel: LuaChannel, _) in
                let buffer = try channel.tcpBuffer()
                return .values([.integer(Int64(buffer.output.readableBytes))])
            },
            LuaMethod("set", arguments: .between(1...3)) { (channel: LuaChannel, values) in
                let buffer = try channel.tcpBuffer()
                let arguments = LuaArguments(values, function: "set", firstPosition: 2)
                let bytes = try arguments.string(0)
                let range = try channel.range(arguments, offsetAt: 1, lengthAt: 2, in: buffer)
                return .values([.integer(buffer.replace(range, with: bytes) ? Int64(bytes.count) : -1)])
            },
            LuaMethod("insert", arguments: .between(1...2)) { (channel: LuaChannel, values) in
                let buffer = try channel.tcpBuffer()
                let arguments = LuaArguments(values, function: "insert", firstPosition: 2)
                let bytes = try arguments.string(0)
                let offset = try channel.range(arguments, offsetAt: 1, lengthAt: nil, in: buffer).lowerBound
                return .values([.integer(buffer.replace(offset..<offset, with: bytes) ? Int64(bytes.count) : -1)])
            },
            LuaMethod("append", arguments: 1) { (channel: LuaChannel, values) in
                let buffer = try channel.tcpBuffer()
                let bytes = try LuaArguments(values, function: "append", firstPosition: 2).string(0)
                let end = buffer.input.readableBytes
                return .values([.integer(buffer.replace(end..<end, with: bytes) ? Int64(bytes.count) : -1)])
            },
            LuaMethod("prepend", arguments: 1) { (channel: LuaChannel, values) in
                let buffer = try channel.tcpBuffer()
                let bytes = try LuaArguments(values, function: "prepend", firstPosition: 2).string(0)
                return .values([.integer(buffer.replace(0..<0, with: bytes) ? Int64(bytes.count) : -1)])
            },
            LuaMethod("remove", arguments: .between(0...2)) { (channel: LuaChannel, values) in
                let buffer = try channel.tcpBuffer()
                let arguments = LuaArguments(values, function: "remove", firstPosition: 2)
                let range = try channel.range(arguments, offsetAt: 0, lengthAt: 1, in: buffer)
                _ = buffer.replace(range, with: [])
                return .values([.integer(Int64(range.count))])
            },
            LuaMethod("send", arguments: 1) { (channel: LuaChannel, values) in
                let buffer = try channel.tcpBuffer()
                let bytes = try LuaArguments(values, function: "send", firstPosition: 2).string(0)
                let sent = min(bytes.count, buffer.room)
                buffer.output.writeBytes(bytes[0..<sent])
                return .values([.integer(Int64(sent))])
            },
            LuaMethod("forward", arguments: 1) { (channel: LuaChannel, values) in
                let buffer = try channel.tcpBuffer()
                let count = try LuaArguments(values, function: "forward", firstPosition: 2).integer(0)
                return channel.forward(Int(clamping: count), done: 0, in: buffer)
            },
        ])

    /// `input()`: the buffered input (HTTP mode: the request bytes waiting, 0 for the response).
    var inputLength: Int {
        if let buffer = self.buffer { return buffer.input.readableBytes }
        return self.isResponse ? 0 : self.transaction.samples.requestBufferLength
    }

    /// The buffer of a TCP-mode channel; raises HAProxy's error in HTTP mode.
    func tcpBuffer() throws(LuaArgumentError) -> LuaChannelBuffer {
        if self.transaction.isHTTP {
            throw LuaArgumentError(message: "Cannot manipulate HAProxy channels in HTTP mode.")
        }
        return self.buffer ?? LuaChannelBuffer(inputEnded: true)
    }

    /// The input range of `[offset[, length]]` arguments: a negative offset counts from the end; a missing or
    /// negative length means "up to the end".
    func range(
        _ arguments: LuaArguments, offsetAt offsetIndex: Int, lengthAt lengthIndex: Int?, in buffer: LuaChannelBuffer
    )
        throws(LuaArgumentError) -> Range<Int>
    {
        let available = buffer.input.readableBytes
        var offset = 0
        if offsetIndex < arguments.count, arguments.values[offsetIndex] != .nil {
            offset = Int(clamping: try arguments.integer(offsetIndex))
            if offset < 0 { offset += available }
            guard offset >= 0, offset <= available else {
                throw LuaArgumentError.bad(offsetIndex + 2, arguments.function, "offset out of range")
            }
        }
        var length = available - offset
        if let lengthIndex, lengthIndex < arguments.count, arguments.values[lengthIndex] != .nil {
            let given = Int(clamping: try arguments.integer(lengthIndex))
            if given >= 0 { length = min(given, available - offset) }
        }
        return offset..<(offset + length)
    }

    private static func data(_ name: String, consume: Bool, line: Bool, deprecated: Bool = false)
        -> LuaMethod<LuaChannel>
    {
        LuaMethod(name, arguments: deprecated ? 0 : .between(0...2)) { (channel: LuaChannel, values) in
            let buffer = try channel.tcpBuffer()
            let arguments = LuaArguments(values, function: name, firstPosition: 2)
            let offset = try channel.range(arguments, offsetAt: 0, lengthAt: nil, in: buffer).lowerBound
            var wanted: Int?
            if arguments.count > 1, arguments.values[1] != .nil {
                let given = Int(clamping: try arguments.integer(1))
                guard given >= -1 else { throw LuaArgumentError.bad(3, name, "length out of range") }
                wanted = given == -1 ? buffer.capacity : given
            }
            // `dup` and `get` (deprecated) never wait; `getline` (deprecated) waits for a line.
            let waits = !deprecated || (consume && line)
            return try channel.read(
                from: offset, wanted: wanted, line: line, consume: consume, waits: waits, emptyIsNil: !deprecated,
                in: buffer)
        }
    }

    /// `data`, `line` and the deprecated readers: the input from `offset`, `wanted` bytes or all of it (up to the
    /// first newline for `line`). When that is not there yet, waits for more input if allowed, else returns what
    /// there is: nil when the input is empty (with `emptyIsNil`, else only when it also ended: the deprecated
    /// readers give `""` on an empty open channel).
    private func read(
        from offset: Int, wanted: Int?, line: Bool, consume: Bool, waits: Bool, emptyIsNil: Bool,
        in buffer: LuaChannelBuffer
    ) throws -> LuaFunctionResult {
        let available = buffer.input.readableBytes
        let remaining = max(available - min(offset, available), 0)
        var length = min(wanted ?? remaining, remaining)
        var complete: Bool
        if line {
            let bytes = buffer.bytes(offset..<(offset + length))
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                length = newline + 1
                complete = true
            } else {
                complete = wanted.map { offset + $0 <= available } ?? false
            }
        } else {
            complete = wanted.map { $0 == 0 || offset + $0 <= available } ?? (remaining > 0)
        }
        if !complete {
            if waits, let wait = self.waitForInput(buffer, then: { _ in
                try self.read(
                    from: offset, wanted: wanted, line: line, consume: consume, waits: waits, emptyIsNil: emptyIsNil,
                    in: buffer)
            }) {
                return wait
            }
            if available == 0 && (emptyIsNil || buffer.inputEnded) { return .values([.nil]) }
            length = remaining
        }
        let bytes = buffer.bytes(offset..<(offset + length))
        if consume { _ = buffer.replace(offset..<(offset + length), with: []) }
        return .values([.string(bytes)])
    }

    /// `forward(n)`: moves input to the output, waiting for more input until `n` bytes moved when allowed.
    private func forward(_ total: Int, done: Int, in buffer: LuaChannelBuffer) -> LuaFunctionResult {
        let moved = done + buffer.forward(total - done)
        if moved < total,
            let wait = self.waitForInput(buffer, then: { _ in self.forward(total, done: moved, in: buffer) })
        {
            return wait
        }
        return .values([.integer(Int64(moved))])
    }

    /// A yield until the channel changes (input, end of input, end of the inspection), then `retry`; nil when the
    /// code may not wait: not an action, or the channel cannot receive more or the inspection is final.
    private func waitForInput(_ buffer: LuaChannelBuffer, then retry: @escaping LuaSwiftFunction)
        -> LuaFunctionResult?
    {
        guard case .action = self.transaction.context, buffer.mayReceive,
            let runtime = self.transaction.samples.scriptHost as? LuaLoopRuntime
        else { return nil }
        let promise = runtime.eventLoop.makePromise(of: [LuaValue].self)
        buffer.whenChanged { promise.succeed([]) }
        return .yield(request: LuaAwait(promise.futureResult), continuation: retry)
    }
}
