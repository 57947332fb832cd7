import NIOCore
import SPOP
import TidegateCore

/// Text of frames, messages and actions for `-d` debug logs.
enum SPOAFrameLog {
    /// `NOTIFY flags=FIN sid=0 fid=1 length=205`.
    static func describe(_ frame: SPOPFrame) -> String {
        var flags: [String] = []
        if frame.isFinal { flags.append("FIN") }
        if frame.isAbort { flags.append("ABORT") }
        return "\(frame.type) flags=\(flags.isEmpty ? "0" : flags.joined(separator: "|")) sid=\(frame.streamID) "
            + "fid=\(frame.frameID) payload=\(frame.payload.readableBytes)"
    }

    /// `messages of sid=0 fid=1: check-client-ip(ip=ipv4 127.0.0.1, port=int64 56888)`.
    static func describe(_ notify: SPOPNotify) -> String {
        let messages = notify.messages.map { message in
            let arguments = message.arguments.map { "\(printable(name: $0.name))=\(describe($0.value))" }
            return "\(printable(name: message.name))(\(arguments.joined(separator: ", ")))"
        }
        return "messages of sid=\(notify.streamID) fid=\(notify.frameID): "
            + (messages.isEmpty ? "(none)" : messages.joined(separator: "; "))
    }

    /// `actions: set-var(txn.score, int32 42), unset-var(sess.x)`.
    static func describe(_ actions: [SPOPAction]) -> String {
        let items = actions.map { action -> String in
            switch action {
            case .setVar(let scope, let name, let value):
                return "set-var(\(scope).\(printable(name: name)), \(describe(value)))"
            case .unsetVar(let scope, let name):
                return "unset-var(\(scope).\(printable(name: name)))"
            }
        }
        return "actions: " + (items.isEmpty ? "(none)" : items.joined(separator: ", "))
    }

    static func describe(_ value: SPOPTypedData) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return "bool \(flag)"
        case .int32(let v): return "int32 \(v)"
        case .uint32(let v): return "uint32 \(v)"
        case .int64(let v): return "int64 \(v)"
        case .uint64(let v): return "uint64 \(v)"
        case .ipv4(let address): return "ipv4 \(IPv4Address(address.rawValue))"
        case .ipv6(let address): return "ipv6 \(IPv6Address(high: address.high, low: address.low))"
        case .string(let bytes): return "str \"\(printable(bytes, limit: 96))\""
        case .binary(let bytes): return "bin[\(bytes.readableBytes)] \"\(printable(bytes, limit: 48))\""
        }
    }

    private static func printable(name: ByteBuffer) -> String { printable(name, limit: 64) }

    /// Printable ASCII as is, other bytes as `\xNN`; cut after `limit` bytes with `...`.
    private static func printable(_ bytes: ByteBuffer, limit: Int) -> String {
        var text = ""
        for byte in bytes.readableBytesView.prefix(limit) {
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\"), byte != UInt8(ascii: "\"") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return bytes.readableBytes > limit ? text + "..." : text
    }
}
