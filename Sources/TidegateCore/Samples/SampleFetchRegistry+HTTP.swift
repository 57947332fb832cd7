import NIOCore
import TidegateHTTP

extension SampleFetchRegistry {
    /// Which message head a fetch reads.
    enum HeadSelector: Sendable {
        case request, response, current

        @inline(__always)
        func head(_ context: SampleContext) -> HTTPHead? {
            switch self {
            case .request: context.request
            case .response: context.response
            case .current: context.currentHead
            }
        }

        var requirement: SampleRequirements {
            switch self {
            case .request: .httpRequest
            case .response: .httpResponse
            case .current: .httpCurrent
            }
        }
    }

    /// Headers, cookies, request line parts, status.
    mutating func registerHTTPFetches() {
        for (prefix, selector) in [("req.", HeadSelector.request), ("res.", .response)] {
            register(headerFetch(prefix + "hdr", selector, split: true, value: Self.stringValue))
            register(headerFetch(prefix + "fhdr", selector, split: false, value: Self.stringValue))
            register(headerFetch(prefix + "hdr_val", selector, split: true, value: Self.integerValue, type: .sint))
            register(headerFetch(prefix + "hdr_ip", selector, split: true, value: Self.addressValue, type: .addr))
            register(headerCount(prefix + "hdr_cnt", selector, split: true))
            register(headerCount(prefix + "fhdr_cnt", selector, split: false))
            register(headerNames(prefix + "hdr_names", selector))
        }
        register(headerFetch("hdr", .current, split: true, value: Self.stringValue))
        register(headerFetch("fhdr", .current, split: false, value: Self.stringValue))
        register(headerFetch("hdr_val", .current, split: true, value: Self.integerValue, type: .sint))
        register(headerFetch("hdr_ip", .current, split: true, value: Self.addressValue, type: .addr))
        register(headerCount("hdr_cnt", .current, split: true))
        register(headerCount("fhdr_cnt", .current, split: false))
        register(headerFetch("shdr", .response, split: true, value: Self.stringValue))
        register(headerFetch("shdr_val", .response, split: true, value: Self.integerValue, type: .sint))
        register(headerFetch("shdr_ip", .response, split: true, value: Self.addressValue, type: .addr))
        register(headerCount("shdr_cnt", .response, split: true))

        for name in ["req.cook", "cook"] {
            register(cookieFetch(name, .request, value: Self.stringValue))
        }
        for name in ["req.cook_val", "cook_val"] {
            register(cookieFetch(name, .request, value: Self.integerValue, type: .sint))
        }
        for name in ["req.cook_cnt", "cook_cnt"] { register(cookieCount(name, .request)) }
        for name in ["res.cook", "scook"] { register(cookieFetch(name, .response, value: Self.stringValue)) }
        for name in ["res.cook_val", "scook_val"] {
            register(cookieFetch(name, .response, value: Self.integerValue, type: .sint))
        }
        for name in ["res.cook_cnt", "scook_cnt"] { register(cookieCount(name, .response)) }

        register(
            .init(
                name: "method", outputType: .meth, requirements: .httpRequest,
                fetch: { context, _ in (context.request?.methodBytes).map { .meth(ByteBuffer($0)) } }))
        register(
            .init(
                name: "path", outputType: .str, requirements: .httpRequest,
                fetch: { context, _ in context.request?.pathBuffer.map { .str($0) } }))
        register(
            .init(
                name: "query", outputType: .str, requirements: .httpRequest,
                fetch: { context, _ in context.request?.queryBuffer.map { .str($0) } }))
        register(
            .init(
                name: "url", outputType: .str, requirements: .httpRequest,
                fetch: { context, _ in context.request.map { .str($0.targetBuffer) } }))
        register(
            .init(
                name: "base", outputType: .str, requirements: .httpRequest,
                fetch: { context, _ in Self.baseFetch(context) }))
        register(
            .init(
                name: "base32", outputType: .sint, requirements: .httpRequest,
                fetch: { context, args in
                    guard case .str(let base)? = Self.baseFetch(context) else { return nil }
                    return .sint(Int64(HashFunction.avalanche(base.withUnsafeReadableBytes { HashFunction.sdbm($0) })))
                }))
        register(
            .init(
                name: "http_first_req", outputType: .bool, requirements: .httpRequest,
                fetch: { context, _ in .bool(context.transactionIndex == 0) }))
        for name in ["url_param", "urlp"] {
            register(urlParameterFetch(name, value: Self.stringValue, type: .str))
        }
        register(urlParameterFetch("urlp_val", value: Self.integerValue, type: .sint))

        for name in ["req.ver", "req_ver"] {
            register(
                .init(
                    name: name, outputType: .str, requirements: .httpRequest,
                    fetch: { context, _ in context.request.map { .str($0.versionNumberBuffer) } }))
        }
        for name in ["res.ver", "resp_ver"] {
            register(
                .init(
                    name: name, outputType: .str, requirements: .httpResponse,
                    fetch: { context, _ in context.response.map { .str($0.versionNumberBuffer) } }))
        }
        register(
            .init(
                name: "status", outputType: .sint, requirements: .httpResponse,
                fetch: { context, _ in context.response.map { .sint(Int64($0.status)) } }))
        for name in ["req.proto_http", "req_proto_http"] {
            register(
                .init(
                    name: name, outputType: .bool, requirements: .httpRequest,
                    fetch: { context, _ in .bool(context.request != nil) }))
        }
        for name in ["req.len", "req_len"] {
            register(
                .init(
                    name: name, outputType: .sint,
                    fetch: { context, _ in
                        if !context.contentFinal { context.sampleMayChange = true }
                        return .sint(Int64(context.requestChannel?.input.readableBytes ?? context.requestBufferLength))
                    }))
        }
        for (name, response) in [("capture.req.hdr", false), ("capture.res.hdr", true)] {
            register(
                .init(
                    name: name, outputType: .str, minimumArguments: 1, maximumArguments: 1, argumentKinds: [.integer],
                    fetch: { context, args in
                        let captures =
                            response ? context.logInfo.capturedResponseHeaders : context.logInfo.capturedRequestHeaders
                        guard let index = args[0].integerValue, let captures, index >= 0, Int(index) < captures.count,
                            let value = captures[Int(index)]
                        else { return nil }
                        return .string(value)
                    }))
        }
        register(requestLinePart("capture.req.method", part: 0))
        register(requestLinePart("capture.req.uri", part: 1))
        register(requestLinePart("capture.req.ver", part: 2))
    }

    /// `base`: the first Host header followed by the path.
    static func baseFetch(_ context: SampleContext) -> Sample? {
        guard let request = context.request else { return nil }
        let path = request.pathBuffer
        guard let hostIndex = request.firstIndex(named: "host") else { return path.map { .str($0) } }
        var out = request.valueBuffer(at: hostIndex)
        if var path {
            out.writeBuffer(&path)
        }
        return .str(out)
    }

    // MARK: - Value shapes

    typealias ValueShape = @Sendable (ByteBuffer) -> Sample?

    static let stringValue: ValueShape = { .str($0) }

    /// HAProxy's `strl2ic`: leading integer, 0 when there is none.
    static let integerValue: ValueShape = { buffer in
        .sint(buffer.withUnsafeReadableBytes { SampleText.parseLeadingInteger($0) })
    }

    /// An IPv4 address (optionally followed by `:port`) or an IPv6 address.
    static let addressValue: ValueShape = { buffer in
        buffer.withUnsafeReadableBytes { raw -> Sample? in
            if let v4 = IPv4Address(text: raw) { return .ipv4(v4) }
            if let colon = raw.firstIndex(of: UInt8(ascii: ":")),
                let v4 = IPv4Address(text: UnsafeRawBufferPointer(rebasing: raw[..<colon]))
            {
                return .ipv4(v4)
            }
            if let v6 = IPv6Address(text: raw) { return .ipv6(v6) }
            return nil
        }
    }

    // MARK: - Builders

    /// Compiles `[<name>[,<occ>]]`: an empty name means every header.
    static let nameAndOccurrence: SampleFetchDescriptor.CompileArguments = { raw, _ throws(SampleCompileError) in
        let name: SampleArgument = raw.first.map { $0.isEmpty ? .none : .string($0) } ?? .none
        var occurrence: SampleArgument = .none
        if raw.count > 1, !raw[1].isEmpty {
            guard let value = Int64(raw[1]) else {
                throw SampleCompileError(.invalidArgument, "failed to parse '\(raw[1])' as type signed integer")
            }
            occurrence = .integer(value)
        }
        return [name, occurrence]
    }

    private func headerFetch(
        _ name: String, _ selector: HeadSelector, split: Bool, value: @escaping ValueShape, type: SampleType = .str
    ) -> SampleFetchDescriptor {
        SampleFetchDescriptor(
            name: name, outputType: type, requirements: selector.requirement,
            minimumArguments: split ? 0 : 1, maximumArguments: 2,
            compileArguments: Self.nameAndOccurrence,
            fetch: { context, args in
                guard let head = selector.head(context) else { return nil }
                let occurrence = Int(args[1].integerValue ?? 0)
                guard
                    let raw = head.value(
                        named: args[0].stringValue, occurrence: occurrence == 0 ? -1 : occurrence, split: split)
                else { return nil }
                return value(raw)
            },
            iterate: { context, args, visit in
                guard let head = selector.head(context) else { return }
                let occurrence = Int(args[1].integerValue ?? 0)
                if occurrence != 0 {
                    if let raw = head.value(named: args[0].stringValue, occurrence: occurrence, split: split),
                        let sample = value(raw)
                    {
                        _ = visit(sample)
                    }
                    return
                }
                head.forEachValue(named: args[0].stringValue, split: split) { raw in
                    guard let sample = value(raw) else { return false }
                    return visit(sample)
                }
            })
    }

    private func headerCount(_ name: String, _ selector: HeadSelector, split: Bool) -> SampleFetchDescriptor {
        SampleFetchDescriptor(
            name: name, outputType: .sint, requirements: selector.requirement, maximumArguments: 1,
            compileArguments: { raw, _ throws(SampleCompileError) in
                [raw.first.map { $0.isEmpty ? .none : .string($0) } ?? .none]
            },
            fetch: { context, args in
                guard let head = selector.head(context) else { return nil }
                return .sint(Int64(head.valueCount(named: args[0].stringValue, split: split)))
            })
    }

    private func headerNames(_ name: String, _ selector: HeadSelector) -> SampleFetchDescriptor {
        SampleFetchDescriptor(
            name: name, outputType: .str, requirements: selector.requirement, maximumArguments: 1,
            fetch: { context, args in
                guard let head = selector.head(context) else { return nil }
                // Only the first character of the delimiter counts.
                let delimiter = args[0].stringValue?.utf8.first ?? UInt8(ascii: ",")
                var out = ByteBuffer()
                for index in head.fields.indices {
                    if index > 0 { out.writeInteger(delimiter) }
                    out.writeString(head.name(at: index))
                }
                return .str(out)
            })
    }

    // MARK: Cookies

    /// Calls `body` with the value of each cookie named `name` (every cookie when nil) in the
    /// `Cookie` (request) or `Set-Cookie` (response, first pair of each line) headers.
    static func forEachCookie(
        _ head: HTTPHead, response: Bool, name: String?, _ body: (ByteBuffer) -> Bool
    ) {
        let header = response ? "set-cookie" : "cookie"
        var wanted = name ?? ""
        wanted.withUTF8 { wantedBytes in
            head.forEachValue(named: header, split: false) { line in
                let base = line.readerIndex
                return line.withUnsafeReadableBytes { raw -> Bool in
                    var start = 0
                    while start <= raw.count {
                        var end = start
                        while end < raw.count, raw[end] != UInt8(ascii: ";") { end += 1 }
                        var lo = start
                        var hi = end
                        while lo < hi, raw[lo] == 0x20 || raw[lo] == 0x09 { lo += 1 }
                        while hi > lo, raw[hi - 1] == 0x20 || raw[hi - 1] == 0x09 { hi -= 1 }
                        if lo < hi {
                            var eq = lo
                            while eq < hi, raw[eq] != UInt8(ascii: "=") { eq += 1 }
                            var nameEnd = eq
                            while nameEnd > lo, raw[nameEnd - 1] == 0x20 || raw[nameEnd - 1] == 0x09 { nameEnd -= 1 }
                            var valueStart = eq < hi ? eq + 1 : hi
                            while valueStart < hi, raw[valueStart] == 0x20 || raw[valueStart] == 0x09 {
                                valueStart += 1
                            }
                            let nameMatches =
                                name == nil
                                || (nameEnd - lo == wantedBytes.count
                                    && SampleText.equal(
                                        raw, lo, UnsafeRawBufferPointer(wantedBytes), 0, count: wantedBytes.count,
                                        ignoreCase: false))
                            if nameMatches, eq < hi || name == nil {
                                let value = line.getSlice(at: base + valueStart, length: hi - valueStart)!
                                if body(value) { return true }
                            }
                        }
                        if response { break }
                        start = end + 1
                    }
                    return false
                }
            }
        }
    }

    private static let optionalName: SampleFetchDescriptor.CompileArguments = { raw, _ throws(SampleCompileError) in
        [raw.first.map { $0.isEmpty ? .none : .string($0) } ?? .none]
    }

    private func cookieFetch(
        _ name: String, _ selector: HeadSelector, value: @escaping ValueShape, type: SampleType = .str
    ) -> SampleFetchDescriptor {
        let response = selector == .response
        return SampleFetchDescriptor(
            name: name, outputType: type, requirements: selector.requirement, maximumArguments: 1,
            compileArguments: Self.optionalName,
            fetch: { context, args in
                guard let head = selector.head(context) else { return nil }
                let cookie = args[0].stringValue
                var found: ByteBuffer?
                // Named: the last occurrence; unnamed: the first cookie.
                Self.forEachCookie(head, response: response, name: cookie) { value in
                    found = value
                    return cookie == nil
                }
                return found.flatMap(value)
            },
            iterate: { context, args, visit in
                guard let head = selector.head(context) else { return }
                Self.forEachCookie(head, response: response, name: args[0].stringValue) { raw in
                    guard let sample = value(raw) else { return false }
                    return visit(sample)
                }
            })
    }

    private func cookieCount(_ name: String, _ selector: HeadSelector) -> SampleFetchDescriptor {
        let response = selector == .response
        return SampleFetchDescriptor(
            name: name, outputType: .sint, requirements: selector.requirement, maximumArguments: 1,
            compileArguments: Self.optionalName,
            fetch: { context, args in
                guard let head = selector.head(context) else { return nil }
                var count: Int64 = 0
                Self.forEachCookie(head, response: response, name: args[0].stringValue) { _ in
                    count += 1
                    return false
                }
                return .sint(count)
            })
    }

    // MARK: URL parameters

    /// Calls `body` with the value of each query parameter named `name` (every one when nil).
    /// Parameters start after the first `?` or `delimiter` and are separated by `&`, `;` or `delimiter`.
    static func forEachURLParameter(
        _ head: HTTPHead, name: String?, delimiter: UInt8, ignoreCase: Bool, _ body: (ByteBuffer) -> Bool
    ) {
        // The parameters begin after the first '?' or delimiter of the target.
        var query = head.targetBuffer
        guard let start = query.readableBytesView.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == delimiter })
        else { return }
        query.moveReaderIndex(to: start + 1)
        let base = query.readerIndex
        var wanted = name ?? ""
        wanted.withUTF8 { wantedBytes in
            query.withUnsafeReadableBytes { raw in
                var start = 0
                while start < raw.count {
                    var end = start
                    while end < raw.count, raw[end] != UInt8(ascii: "&"), raw[end] != UInt8(ascii: ";"),
                        raw[end] != delimiter
                    {
                        end += 1
                    }
                    var eq = start
                    while eq < end, raw[eq] != UInt8(ascii: "=") { eq += 1 }
                    let matches: Bool
                    if name == nil {
                        matches = end > start
                    } else {
                        matches =
                            eq < end && eq - start == wantedBytes.count
                            && SampleText.equal(
                                raw, start, UnsafeRawBufferPointer(wantedBytes), 0, count: wantedBytes.count,
                                ignoreCase: ignoreCase)
                    }
                    if matches {
                        let valueStart = eq < end ? eq + 1 : end
                        if body(query.getSlice(at: base + valueStart, length: end - valueStart)!) { return }
                    }
                    start = end + 1
                }
            }
        }
    }

    private func urlParameterFetch(_ name: String, value: @escaping ValueShape, type: SampleType)
        -> SampleFetchDescriptor
    {
        SampleFetchDescriptor(
            name: name, outputType: type, requirements: .httpRequest, maximumArguments: 3,
            compileArguments: { raw, _ throws(SampleCompileError) in
                let param: SampleArgument = raw.first.map { $0.isEmpty ? .none : .string($0) } ?? .none
                var delimiter: Int64 = Int64(UInt8(ascii: "&"))
                if raw.count > 1, !raw[1].isEmpty {
                    guard raw[1].utf8.count == 1 else {
                        throw SampleCompileError(.invalidArgument, "the delimiter must be a single character")
                    }
                    delimiter = Int64(raw[1].utf8.first!)
                }
                var ignoreCase = false
                if raw.count > 2, !raw[2].isEmpty {
                    guard raw[2] == "i" else {
                        throw SampleCompileError(.invalidArgument, "unknown flag '\(raw[2])' (expects 'i')")
                    }
                    ignoreCase = true
                }
                return [param, .integer(delimiter), .integer(ignoreCase ? 1 : 0)]
            },
            fetch: { context, args in
                guard let request = context.request else { return nil }
                var found: Sample?
                Self.forEachURLParameter(
                    request, name: args[0].stringValue, delimiter: UInt8(args[1].integerValue ?? 38),
                    ignoreCase: args[2].integerValue == 1
                ) { raw in
                    found = value(raw)
                    return true
                }
                return found
            },
            iterate: { context, args, visit in
                guard let request = context.request else { return }
                Self.forEachURLParameter(
                    request, name: args[0].stringValue, delimiter: UInt8(args[1].integerValue ?? 38),
                    ignoreCase: args[2].integerValue == 1
                ) { raw in
                    guard let sample = value(raw) else { return false }
                    return visit(sample)
                }
            })
    }

    // MARK: Captured request line

    private func requestLinePart(_ name: String, part: Int) -> SampleFetchDescriptor {
        SampleFetchDescriptor(
            name: name, outputType: .str, requirements: .httpRequest,
            fetch: { context, _ in
                guard let line = context.logInfo.requestLine else { return nil }
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                guard part < parts.count else { return nil }
                return .string(String(parts[part]))
            })
    }
}
