import NIOCore
import TidegateCore
import TidegateHTTP
import TidegateLua

/// The Swift side of `txn.http` (mode http only): reads and edits `samples.request` / `samples.response`.
///
/// As in HAProxy, `req_*` methods work only where the TXN's direction is the request and `res_*` only on the
/// response (a response action cannot edit the request); the others raise an error.
public final class LuaHTTP {
    let txn: LuaTXN

    init(txn: LuaTXN) {
        self.txn = txn
    }

    var samples: SampleContext { self.txn.transaction.samples }

    static let luaClass = LuaClass<LuaHTTP>("HTTP", methods: requestMethods + responseMethods)

    // MARK: Methods

    private static var requestMethods: [LuaMethod<LuaHTTP>] {
        [
            getHeaders("req_get_headers", response: false),
            addHeader("req_add_header", check: "req_add_hdr", response: false),
            delHeader("req_del_header", check: "req_del_hdr", response: false),
            setHeader("req_set_header", check: "req_set_hdr", response: false),
            replace("req_rep_header", check: "req_rep_hdr", response: false, perValue: false),
            // HAProxy checks req_rep_value's count under the name "req_rep_hdr".
            replace("req_rep_value", check: "req_rep_hdr", response: false, perValue: true),
            requestLine("req_set_method") { head, value in head.setMethod(value) },
            requestLine("req_set_path") { head, value in head.setPath(value) },
            requestLine("req_set_query") { head, value in
                // HAProxy replaces the query with "?" + value, so "" leaves a bare "?".
                let target = head.target
                let base = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
                head.setTarget(base + "?" + value)
            },
            requestLine("req_set_uri") { head, value in head.setTarget(value) },
        ]
    }

    private static var responseMethods: [LuaMethod<LuaHTTP>] {
        [
            getHeaders("res_get_headers", response: true),
            addHeader("res_add_header", check: "res_add_hdr", response: true),
            delHeader("res_del_header", check: "res_del_hdr", response: true),
            setHeader("res_set_header", check: "res_set_hdr", response: true),
            replace("res_rep_header", check: "res_rep_hdr", response: true, perValue: false),
            replace("res_rep_value", check: "res_rep_val", response: true, perValue: true),
            LuaMethod("res_set_status", arguments: .any) { (http: LuaHTTP, values) in
                let arguments = LuaArguments(values, function: "res_set_status", firstPosition: 2)
                let code = try arguments.integer(0)
                var reason: String?
                if arguments.count >= 2, values[1] != .nil {
                    reason = String(decoding: try arguments.string(1), as: UTF8.self)
                }
                try http.requireDirection(response: true, "res_set_status")
                if let reason, !LuaHTTP.isClean(Array(reason.utf8)) {
                    throw LuaArgumentError.bad(3, "res_set_status", "invalid character in reason")
                }
                http.edit(response: true) { $0.setStatus(Int(clamping: code), reason: reason) }
                return .values([])
            },
        ]
    }

    private static func getHeaders(_ name: String, response: Bool) -> LuaMethod<LuaHTTP> {
        LuaMethod(name, arguments: .any) { (http: LuaHTTP, values) in
            try LuaArguments(values, function: name, firstPosition: 2).requireCount(1)
            try http.requireDirection(response: response, name)
            let head = response ? http.samples.response : http.samples.request
            return .values([.table(head.map(LuaHTTP.headerTable) ?? LuaTable())])
        }
    }

    private static func addHeader(_ name: String, check: String, response: Bool) -> LuaMethod<LuaHTTP> {
        LuaMethod(name, arguments: .any) { (http: LuaHTTP, values) in
            let arguments = LuaArguments(values, function: check, firstPosition: 2)
            try arguments.requireCount(3)
            try http.requireDirection(response: response, name)
            let (field, value) = try LuaHTTP.headerArguments(arguments, name)
            http.edit(response: response) { $0.add(name: field, value: value) }
            return .values([])
        }
    }

    private static func delHeader(_ name: String, check: String, response: Bool) -> LuaMethod<LuaHTTP> {
        LuaMethod(name, arguments: .any) { (http: LuaHTTP, values) in
            let arguments = LuaArguments(values, function: check, firstPosition: 2)
            try arguments.requireCount(2)
            try http.requireDirection(response: response, name)
            let field = String(decoding: try arguments.string(0), as: UTF8.self)
            http.edit(response: response) { $0.remove(named: field) }
            return .values([])
        }
    }

    private static func setHeader(_ name: String, check: String, response: Bool) -> LuaMethod<LuaHTTP> {
        LuaMethod(name, arguments: .any) { (http: LuaHTTP, values) in
            let arguments = LuaArguments(values, function: check, firstPosition: 2)
            try arguments.requireCount(3)
            try http.requireDirection(response: response, name)
            let (field, value) = try LuaHTTP.headerArguments(arguments, name)
            http.edit(response: response) { $0.set(name: field, value: value) }
            return .values([])
        }
    }

    private static func replace(_ name: String, check: String, response: Bool, perValue: Bool) -> LuaMethod<LuaHTTP> {
        LuaMethod(name, arguments: .any) { (http: LuaHTTP, values) in
            let arguments = LuaArguments(values, function: check, firstPosition: 2)
            try arguments.requireCount(4)
            try http.requireDirection(response: response, name)
            let field = String(decoding: try arguments.string(0), as: UTF8.self)
            let pattern = try arguments.string(1)
            let template = try arguments.string(2)
            guard LuaHTTP.isClean(template) else {
                throw LuaArgumentError.bad(4, name, "invalid character in header value")
            }
            guard let regex = http.txn.runtime.regex(pattern) else {
                throw LuaArgumentError.bad(3, name, "invalid regex")
            }
            let templateText = String(decoding: template, as: UTF8.self)
            http.edit(response: response) { head in
                for index in head.indexes(named: field) {
                    let original = head.valueBytes(at: index)
                    let replaced =
                        perValue
                        ? LuaHTTP.replaceEachValue(ByteBuffer(original), regex, templateText)
                        : regex.replacingWholeValue(ByteBuffer(original), template: templateText)
                    if !replaced.readableBytesView.elementsEqual(original) {
                        head.setValue(at: index, to: String(buffer: replaced))
                    }
                }
            }
            return .values([])
        }
    }

    private static func requestLine(
        _ name: String, _ apply: @escaping @Sendable (inout HTTPHead, String) -> Void
    ) -> LuaMethod<LuaHTTP> {
        LuaMethod(name, arguments: .any) { (http: LuaHTTP, values) in
            let value = try LuaArguments(values, function: name, firstPosition: 2).string(0)
            try http.requireDirection(response: false, name)
            guard LuaHTTP.isClean(value), !value.contains(UInt8(ascii: " ")) else {
                return .values([false])
            }
            guard http.samples.request != nil else { return .values([false]) }
            let text = String(decoding: value, as: UTF8.self)
            http.edit(response: false) { apply(&$0, text) }
            return .values([true])
        }
    }

    // MARK: Helpers

    /// HAProxy raises when a `req_*` method runs on the response side or the reverse.
    func requireDirection(response: Bool, _ name: String) throws(LuaArgumentError) {
        guard self.txn.isResponse == response else {
            let side = response ? "request" : "response"
            throw LuaArgumentError(message: "'\(name)' cannot be used on the \(side)")
        }
    }

    /// Edits the request or response head in place (keeping its storage uniquely referenced).
    func edit(response: Bool, _ body: (inout HTTPHead) -> Void) {
        let samples = self.samples
        if response {
            guard var head = samples.response else { return }
            samples.response = nil
            body(&head)
            samples.response = head
        } else {
            guard var head = samples.request else { return }
            samples.request = nil
            body(&head)
            samples.request = head
        }
    }

    /// Name and value of an add/set call; CR, LF and NUL are refused (HAProxy 3.4).
    static func headerArguments(_ arguments: LuaArguments, _ name: String) throws(LuaArgumentError) -> (String, String)
    {
        let field = try arguments.string(0)
        let value = try arguments.string(1)
        guard isClean(field) else { throw LuaArgumentError.bad(2, name, "invalid character in header name") }
        guard isClean(value) else { throw LuaArgumentError.bad(3, name, "invalid character in header value") }
        return (String(decoding: field, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// No CR, LF or NUL.
    static func isClean(_ bytes: [UInt8]) -> Bool {
        !bytes.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }

    /// `req_get_headers()`: lowercased name → values indexed from 0, in order.
    static func headerTable(_ head: HTTPHead) -> LuaTable {
        var table = LuaTable()
        var lists: [LuaValue: [LuaValue]] = [:]
        var order: [LuaValue] = []
        for index in head.fields.indices {
            let name = LuaValue.string(Array(head.name(at: index).utf8).map(asciiLowercase))
            let value = LuaValue.string(Array(head.valueBytes(at: index)))
            if lists[name] == nil { order.append(name) }
            lists[name, default: []].append(value)
        }
        for name in order {
            guard let values = lists[name], let first = values.first else { continue }
            table.hash[name] = .table(LuaTable(array: Array(values.dropFirst()), hash: [.integer(0): first]))
        }
        return table
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        byte &- 65 < 26 ? byte | 0x20 : byte
    }

    /// `replace-value`: every comma-separated element (without its surrounding spaces) replaced on its own; the
    /// separators and spaces stay as they were.
    static func replaceEachValue(_ value: ByteBuffer, _ regex: CompiledRegex, _ template: String) -> ByteBuffer {
        let bytes = Array(value.readableBytesView)
        var out = ByteBuffer()
        var start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.count
            var low = start
            var high = end
            while low < high, bytes[low] == 32 || bytes[low] == 9 { low += 1 }
            while high > low, bytes[high - 1] == 32 || bytes[high - 1] == 9 { high -= 1 }
            out.writeBytes(bytes[start..<low])
            out.writeImmutableBuffer(
                regex.replacingWholeValue(ByteBuffer(bytes: bytes[low..<high]), template: template))
            out.writeBytes(bytes[high..<end])
            if end < bytes.count { out.writeInteger(UInt8(ascii: ",")) }
            start = end + 1
        }
        return out
    }
}
