import NIOCore

/// A parsed HTTP/1.x message head (request or status line plus header fields), kept as the bytes
/// that were received plus an index of where each part lies.
///
/// Nothing is copied into `String`s while parsing. Edits (rules, Lua) append the new bytes to the
/// same storage and repoint the index; an unedited head is written back exactly as it arrived, so
/// header order and case are preserved byte for byte.
public struct HTTPHead: Sendable {
    /// Which kind of start line the head carries.
    public enum Kind: Sendable { case request, response }

    /// A range of bytes inside `storage`.
    public struct Span: Sendable, Equatable {
        public var start: UInt32
        public var length: UInt32
        @inlinable init(start: Int, length: Int) {
            self.start = UInt32(truncatingIfNeeded: start)
            self.length = UInt32(truncatingIfNeeded: length)
        }
        @inlinable var range: Range<Int> { Int(start)..<Int(start) + Int(length) }
    }

    /// One header field: where its name and value lie (value without surrounding whitespace).
    public struct Field: Sendable, Equatable {
        public var name: Span
        public var value: Span
    }

    public let kind: Kind
    /// The original bytes, then any bytes appended by edits.
    @usableFromInline var storage: ByteBuffer
    /// Length of the head as received, including the blank line that ends it.
    public let receivedLength: Int
    /// Whether the head was edited since it was parsed; an unedited head is forwarded verbatim.
    public private(set) var isModified: Bool = false
    /// Request: method. Response: protocol version.
    @usableFromInline var startToken0: Span
    /// Request: target (URI). Response: status code.
    @usableFromInline var startToken1: Span
    /// Request: protocol version. Response: reason phrase (may be empty).
    @usableFromInline var startToken2: Span
    /// HTTP minor version (1 for HTTP/1.1, 0 for HTTP/1.0).
    public private(set) var versionMinor: Int
    /// The response status (0 for requests).
    public private(set) var status: Int
    /// The header fields in received order.
    public private(set) var fields: [Field]
    /// Which connection- and framing-related fields may be present. Set while parsing and when a
    /// field is added; never cleared (a stale bit only costs a scan), so a clear bit means "absent".
    public private(set) var knownFields: KnownFields

    /// Fields the proxy looks at on every message; knowing they are absent saves scanning.
    public struct KnownFields: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let connection = KnownFields(rawValue: 1 << 0)
        public static let contentLength = KnownFields(rawValue: 1 << 1)
        public static let transferEncoding = KnownFields(rawValue: 1 << 2)
        public static let upgrade = KnownFields(rawValue: 1 << 3)

        /// The bit for a field name (compared case-insensitively), or an empty set.
        @inlinable
        public static func classify(_ name: UnsafeRawBufferPointer) -> KnownFields {
            switch name.count {
            case 7: return equalsLowercase(name, "upgrade") ? .upgrade : []
            case 10: return equalsLowercase(name, "connection") ? .connection : []
            case 14: return equalsLowercase(name, "content-length") ? .contentLength : []
            case 17: return equalsLowercase(name, "transfer-encoding") ? .transferEncoding : []
            default: return []
            }
        }

        @inlinable
        static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
            lower.withUTF8Buffer { wanted in
                for i in 0..<wanted.count where asciiLower(bytes[i]) != wanted[i] { return false }
                return true
            }
        }
    }

    init(
        kind: Kind, storage: ByteBuffer, receivedLength: Int, startLine: (Span, Span, Span),
        versionMinor: Int, status: Int, fields: [Field], knownFields: KnownFields
    ) {
        self.knownFields = knownFields
        self.kind = kind
        self.storage = storage
        self.receivedLength = receivedLength
        self.startToken0 = startLine.0
        self.startToken1 = startLine.1
        self.startToken2 = startLine.2
        self.versionMinor = versionMinor
        self.status = status
        self.fields = fields
    }

    // MARK: - Reading

    @inlinable func bytes(_ span: Span) -> ByteBufferView {
        storage.viewBytes(at: Int(span.start), length: Int(span.length))!
    }

    @inlinable func string(_ span: Span) -> String {
        storage.getString(at: Int(span.start), length: Int(span.length)) ?? ""
    }

    /// The request method as sent (requests only).
    public var method: String { string(startToken0) }
    /// The request target as sent, e.g. `/path?query` (requests only).
    public var target: String { string(startToken1) }
    /// The version token as sent, e.g. `HTTP/1.1`.
    public var versionString: String { string(kind == .request ? startToken2 : startToken0) }
    /// The reason phrase of a response.
    public var reason: String { string(startToken2) }

    /// The raw bytes of the request target.
    public var targetBytes: ByteBufferView { bytes(startToken1) }
    /// The raw bytes of the method.
    public var methodBytes: ByteBufferView { bytes(startToken0) }

    /// Whether the method is exactly `name` (case-sensitive, as methods are).
    @inlinable public func methodIs(_ name: StaticString) -> Bool {
        let view = bytes(startToken0)
        guard view.count == name.utf8CodeUnitCount else { return false }
        return name.withUTF8Buffer { view.elementsEqual($0) }
    }

    /// Name of field `index` as sent.
    public func name(at index: Int) -> String { string(fields[index].name) }
    /// Value of field `index` (without surrounding whitespace).
    public func value(at index: Int) -> String { string(fields[index].value) }
    /// Raw value bytes of field `index`.
    public func valueBytes(at index: Int) -> ByteBufferView { bytes(fields[index].value) }

    /// Whether field `index` is named `name`, compared case-insensitively.
    @inlinable public func field(_ index: Int, isNamed name: String) -> Bool {
        let span = fields[index].name
        var name = name
        return name.withUTF8 { wanted in
            guard wanted.count == Int(span.length) else { return false }
            return storage.withUnsafeReadableBytes { raw in
                let base = Int(span.start)
                for i in 0..<wanted.count where asciiLower(raw[base + i]) != asciiLower(wanted[i]) {
                    return false
                }
                return true
            }
        }
    }

    /// Whether fields named `name` are certainly absent (one of the `KnownFields` not seen).
    @inlinable func certainlyAbsent(_ name: String) -> Bool {
        var copy = name
        let bit = copy.withUTF8 { KnownFields.classify(UnsafeRawBufferPointer($0)) }
        return !bit.isEmpty && !knownFields.contains(bit)
    }

    /// Indexes of the fields named `name`, in order.
    public func indexes(named name: String) -> [Int] {
        if certainlyAbsent(name) { return [] }
        var result: [Int] = []
        for i in fields.indices where field(i, isNamed: name) { result.append(i) }
        return result
    }

    /// The first field index named `name`.
    public func firstIndex(named name: String) -> Int? {
        if certainlyAbsent(name) { return nil }
        for i in fields.indices where field(i, isNamed: name) { return i }
        return nil
    }

    /// All values of `name`, one per field line (no comma splitting).
    public func fullValues(named name: String) -> [String] {
        indexes(named: name).map { value(at: $0) }
    }

    /// All values of `name`, with comma-separated lists split (as HAProxy's `hdr()`), trimmed.
    public func splitValues(named name: String) -> [String] {
        var result: [String] = []
        for i in fields.indices where field(i, isNamed: name) {
            for part in value(at: i).split(separator: ",", omittingEmptySubsequences: false) {
                result.append(trimOWS(part))
            }
        }
        return result
    }

    /// The first value of `name`, or nil.
    public func firstValue(named name: String) -> String? {
        firstIndex(named: name).map { value(at: $0) }
    }

    /// Whether any field named `name` has a comma-separated token equal (case-insensitive) to `token`.
    public func hasToken(_ token: String, inFieldNamed name: String) -> Bool {
        for i in fields.indices where field(i, isNamed: name) {
            for part in value(at: i).split(separator: ",") where trimOWS(part).lowercased() == token.lowercased() {
                return true
            }
        }
        return false
    }

    /// The path part of the request target (without query); for absolute-form, the path after the authority.
    public var path: String {
        let t = target
        var rest = t[...]
        if !t.hasPrefix("/"), let authority = absoluteFormAuthorityEnd(t) {
            rest = t[authority...]
        }
        if let q = rest.firstIndex(of: "?") { return String(rest[..<q]) }
        return String(rest)
    }

    /// For an absolute-form target (`scheme://authority/path`), where the path starts.
    private func absoluteFormAuthorityEnd(_ t: String) -> String.Index? {
        let utf8 = t.utf8
        var i = utf8.startIndex
        while i != utf8.endIndex, utf8[i] != UInt8(ascii: ":") { i = utf8.index(after: i) }
        guard utf8[i...].starts(with: "://".utf8) else { return nil }
        let afterScheme = utf8.index(i, offsetBy: 3)
        return t[afterScheme...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? t.endIndex
    }

    /// The query string of the request target without the `?`, or nil if there is none.
    public var query: String? {
        let t = target
        guard let q = t.firstIndex(of: "?") else { return nil }
        return String(t[t.index(after: q)...])
    }

    // MARK: - Editing

    private mutating func append(_ string: String) -> Span {
        let start = storage.writerIndex
        let written = storage.writeString(string)
        isModified = true
        return Span(start: start, length: written)
    }

    /// Appends a header field at the end.
    public mutating func add(name: String, value: String) {
        let n = append(name)
        let v = append(value)
        fields.append(Field(name: n, value: v))
        var copy = name
        knownFields.formUnion(copy.withUTF8 { KnownFields.classify(UnsafeRawBufferPointer($0)) })
    }

    /// Removes every field named `name`; returns how many were removed.
    @discardableResult
    public mutating func remove(named name: String) -> Int {
        if certainlyAbsent(name) { return 0 }
        let before = fields.count
        var kept: [Field] = []
        kept.reserveCapacity(before)
        for i in fields.indices where !field(i, isNamed: name) { kept.append(fields[i]) }
        if kept.count != before {
            fields = kept
            isModified = true
        }
        return before - kept.count
    }

    /// Removes the fields whose index is in `indexes`.
    public mutating func remove(at indexes: [Int]) {
        guard !indexes.isEmpty else { return }
        let drop = Set(indexes)
        fields = fields.indices.filter { !drop.contains($0) }.map { fields[$0] }
        isModified = true
    }

    /// Replaces every field named `name` by one field with `value` (HAProxy's `set-header`).
    public mutating func set(name: String, value: String) {
        remove(named: name)
        add(name: name, value: value)
    }

    /// Replaces the value of field `index`.
    public mutating func setValue(at index: Int, to value: String) {
        fields[index].value = append(value)
    }

    /// Replaces the request method.
    public mutating func setMethod(_ method: String) { startToken0 = append(method) }

    /// Replaces the request target.
    public mutating func setTarget(_ target: String) { startToken1 = append(target) }

    /// Replaces the path part of the request target, keeping the query, and for an absolute-form
    /// target the scheme and authority (as HAProxy's `set-path`).
    public mutating func setPath(_ newPath: String) {
        let t = target
        let prefix = t.hasPrefix("/") ? "" : absoluteFormAuthorityEnd(t).map { String(t[..<$0]) } ?? ""
        if let q = query { setTarget(prefix + newPath + "?" + q) } else { setTarget(prefix + newPath) }
    }

    /// Replaces the query (without `?`); nil or empty removes it, as HAProxy's `set-query ""` does.
    public mutating func setQuery(_ newQuery: String?) {
        let t = target
        let base = t.firstIndex(of: "?").map { String(t[..<$0]) } ?? t
        if let newQuery, !newQuery.isEmpty { setTarget(base + "?" + newQuery) } else { setTarget(base) }
    }

    /// Replaces the status code and reason phrase of a response.
    public mutating func setStatus(_ code: Int, reason: String? = nil) {
        status = code
        startToken1 = append(String(code))
        startToken2 = append(reason ?? HTTPStatusPhrase.phrase(for: code))
    }

    /// Rewrites the head to announce HTTP/1.1 (used when forwarding 1.0 messages is not wanted).
    public mutating func setVersionMinor(_ minor: Int) {
        versionMinor = minor
        let span = append(minor == 0 ? "HTTP/1.0" : "HTTP/1.1")
        if kind == .request { startToken2 = span } else { startToken0 = span }
    }

    // MARK: - Writing

    /// The head exactly as received when it was not edited, sharing the receive buffer (no copy).
    public var unmodifiedBytes: ByteBuffer? {
        isModified ? nil : storage.getSlice(at: 0, length: receivedLength)
    }

    /// The head as bytes to send: the received bytes when unedited (no copy), else a rewrite.
    public func serialized(allocator: ByteBufferAllocator) -> ByteBuffer {
        if let verbatim = unmodifiedBytes { return verbatim }
        var out = allocator.buffer(capacity: storage.readableBytes + 16)
        write(to: &out)
        return out
    }

    /// Writes the head (with its final blank line) to `out`: verbatim when unedited.
    public func write(to out: inout ByteBuffer) {
        if !isModified {
            var original = storage.getSlice(at: 0, length: receivedLength)!
            out.writeBuffer(&original)
            return
        }
        out.reserveCapacity(minimumWritableBytes: storage.readableBytes + 16)
        writeSpan(startToken0, to: &out)
        out.writeInteger(UInt8(ascii: " "))
        writeSpan(startToken1, to: &out)
        out.writeInteger(UInt8(ascii: " "))
        writeSpan(startToken2, to: &out)
        out.writeStaticString("\r\n")
        for field in fields {
            writeSpan(field.name, to: &out)
            out.writeStaticString(": ")
            writeSpan(field.value, to: &out)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
    }

    private func writeSpan(_ span: Span, to out: inout ByteBuffer) {
        var slice = storage.getSlice(at: Int(span.start), length: Int(span.length))!
        out.writeBuffer(&slice)
    }
}

@inlinable func asciiLower(_ byte: UInt8) -> UInt8 {
    byte &- 65 < 26 ? byte | 0x20 : byte
}

func trimOWS(_ s: Substring) -> String {
    var sub = s
    while let f = sub.first, f == " " || f == "\t" { sub = sub.dropFirst() }
    while let l = sub.last, l == " " || l == "\t" { sub = sub.dropLast() }
    return String(sub)
}

extension HTTPHead: CustomStringConvertible {
    public var description: String {
        var out = ByteBuffer()
        write(to: &out)
        return out.readString(length: out.readableBytes) ?? ""
    }
}
