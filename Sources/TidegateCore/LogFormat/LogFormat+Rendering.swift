import NIOCore

extension LogFormat {
    /// Appends the rendered line for `context` to `out`.
    public func render(in context: SampleContext, into out: inout ByteBuffer) {
        var lastWasSpace = true
        let info = context.logInfo
        let savedDirection = context.direction
        context.direction = .request
        defer { context.direction = savedDirection }
        for node in nodes {
            switch node {
            case .separator:
                if !lastWasSpace {
                    out.writeInteger(UInt8(ascii: " "))
                    lastWasSpace = true
                }
            case .text(let bytes):
                out.writeBytes(bytes)
                lastWasSpace = false
            case .expression(let expression, let flags):
                var value: ByteBuffer?
                if case .str(let text)? = expression.evaluate(in: context, as: .str) { value = text }
                if flags.contains(.httpEncode) {
                    if let value { LogEncoding.encode(value, escape: UInt8(ascii: "%"), map: LogEncoding.httpMap, flags: flags, into: &out) }
                } else {
                    LogFormat.writeText(value, flags: flags, into: &out)
                }
                lastWasSpace = false
            case .variable(let variable, let flags):
                if renderVariable(variable, flags: flags, context: context, info: info, into: &out) {
                    lastWasSpace = false
                }
            }
        }
    }

    /// The rendered line as a string.
    public func render(in context: SampleContext) -> String {
        var out = ByteBuffer()
        render(in: context, into: &out)
        return String(buffer: out)
    }

    /// HAProxy's text field: optional quotes, `-` for a missing value unless quoted, optional escaping.
    static func writeText(_ value: ByteBuffer?, flags: Flags, into out: inout ByteBuffer) {
        if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
        if let value, value.readableBytes > 0 {
            if flags.contains(.escape) {
                LogEncoding.escapeRFC5424(value, into: &out)
            } else {
                var copy = value
                out.writeBuffer(&copy)
            }
        } else if flags.contains(.mandatory) && !flags.contains(.quote) {
            out.writeInteger(UInt8(ascii: "-"))
        }
        if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
    }

    static func writeText(_ value: String?, flags: Flags, into out: inout ByteBuffer) {
        if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
        if let value, !value.isEmpty {
            if flags.contains(.escape) {
                LogEncoding.escapeRFC5424(ByteBuffer(string: value), into: &out)
            } else {
                out.writeString(value)
            }
        } else if flags.contains(.mandatory) && !flags.contains(.quote) {
            out.writeInteger(UInt8(ascii: "-"))
        }
        if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
    }

    static func writeHex(_ value: UInt64, digits: Int, into out: inout ByteBuffer) {
        var started = false
        var shift = 60
        while shift >= 0 {
            let nibble = Int(value >> UInt64(shift) & 15)
            if nibble != 0 || started || shift < digits * 4 {
                started = true
                out.writeInteger(SampleText.hexDigitsUpper[nibble])
            }
            shift -= 4
        }
    }

    private static func writeAddress(_ address: SocketAddress?, flags: Flags, into out: inout ByteBuffer) {
        guard let address else {
            writeText(Optional<ByteBuffer>.none, flags: flags, into: &out)
            return
        }
        if flags.contains(.hex) {
            switch Sample.address(address) {
            case .ipv4(let v4)?: writeHex(UInt64(v4.value), digits: 8, into: &out)
            case .ipv6(let v6)?:
                writeHex(v6.high, digits: 16, into: &out)
                writeHex(v6.low, digits: 16, into: &out)
            default: break
            }
            return
        }
        var text = ByteBuffer()
        switch Sample.address(address) {
        case .ipv4(let v4)?: v4.write(to: &text)
        case .ipv6(let v6)?: v6.write(to: &text)
        default: text.writeStaticString("unix")
        }
        writeText(text, flags: flags, into: &out)
    }

    private static func writePort(_ address: SocketAddress?, flags: Flags, into out: inout ByteBuffer) {
        guard let address else {
            writeText(Optional<ByteBuffer>.none, flags: flags, into: &out)
            return
        }
        let port = address.port ?? 0
        if flags.contains(.hex) {
            writeHex(UInt64(port), digits: 4, into: &out)
        } else {
            SampleText.writeDecimal(port, to: &out)
        }
    }

    private func writeDate(_ micros: Int64, style: DateStyle, into out: inout ByteBuffer) {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        switch style {
        case .localMilliseconds:
            CivilTime(epochSeconds: seconds, offset: timeZone.offset(at: seconds)).writeLogDate(to: &out)
            out.writeInteger(UInt8(ascii: "."))
            SampleText.writePadded(Int((micros - seconds * 1_000_000) / 1000), width: 3, to: &out)
        case .gmt:
            CivilTime(epochSeconds: seconds).writeLogDate(to: &out)
            out.writeStaticString(" +0000")
        case .localOffset:
            let offset = timeZone.offset(at: seconds)
            CivilTime(epochSeconds: seconds, offset: offset).writeLogDate(to: &out)
            out.writeInteger(UInt8(ascii: " "))
            out.writeInteger(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let minutes = abs(offset) / 60
            SampleText.writePadded(minutes / 60, width: 2, to: &out)
            SampleText.writePadded(minutes % 60, width: 2, to: &out)
        }
    }

    private enum DateStyle { case localMilliseconds, gmt, localOffset }

    private static func writeCaptures(
        _ captures: [String?]?, list: Bool, flags: Flags, into out: inout ByteBuffer
    ) -> Bool {
        guard let captures, !captures.isEmpty else { return false }
        if list {
            for (index, capture) in captures.enumerated() {
                if index > 0 { out.writeInteger(UInt8(ascii: " ")) }
                if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
                if let capture {
                    LogEncoding.encode(ByteBuffer(string: capture), escape: UInt8(ascii: "#"), map: LogEncoding.headerMap, flags: flags, into: &out)
                } else if !flags.contains(.quote) {
                    out.writeInteger(UInt8(ascii: "-"))
                }
                if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
            }
            return true
        }
        if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
        out.writeInteger(UInt8(ascii: "{"))
        for (index, capture) in captures.enumerated() {
            if index > 0 { out.writeInteger(UInt8(ascii: "|")) }
            if let capture {
                LogEncoding.encode(ByteBuffer(string: capture), escape: UInt8(ascii: "#"), map: LogEncoding.headerMap, flags: flags, into: &out)
            }
        }
        out.writeInteger(UInt8(ascii: "}"))
        if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
        return true
    }

    /// Splits the captured request line as HAProxy does for `%HM %HU %HP %HPO %HQ %HV`.
    private static func requestLinePart(_ variable: LogFormatVariable, line: String?) -> ByteBuffer {
        let bad = ByteBuffer(string: "<BADREQ>")
        guard let line else { return bad }
        let bytes = ByteBuffer(string: line)
        return bytes.withUnsafeReadableBytes { raw -> ByteBuffer in
            func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
            func slice(_ a: Int, _ b: Int) -> ByteBuffer { bytes.getSlice(at: bytes.readerIndex + a, length: b - a)! }
            var i = 0
            while i < raw.count, !isSpace(raw[i]) { i += 1 }
            let methodEnd = i
            if variable == .httpMethod { return i == raw.count ? bad : slice(0, methodEnd) }
            if variable == .httpQuery {
                guard let q = raw.firstIndex(of: UInt8(ascii: "?")) else { return ByteBuffer() }
                var e = q
                while e < raw.count, !isSpace(raw[e]) { e += 1 }
                return slice(q, e)
            }
            var spaces = 0
            while i < raw.count, isSpace(raw[i]) {
                i += 1
                spaces += 1
            }
            guard spaces > 0 else { return bad }
            let uriStart = i
            while i < raw.count, !isSpace(raw[i]) { i += 1 }
            let uriEnd = i
            switch variable {
            case .httpURI:
                return slice(uriStart, uriEnd)
            case .httpPath:
                var e = uriStart
                while e < uriEnd, raw[e] != UInt8(ascii: "?") { e += 1 }
                return slice(uriStart, e)
            case .httpPathOnly:
                let uri = UnsafeRawBufferPointer(rebasing: raw[uriStart..<uriEnd])
                guard let range = HTTPPathParser.pathRange(uri) else { return ByteBuffer() }
                return slice(uriStart + range.lowerBound, uriStart + range.upperBound)
            default:
                while i < raw.count, isSpace(raw[i]) { i += 1 }
                if i == raw.count { return ByteBuffer(string: "HTTP/0.9") }
                return slice(i, raw.count)
            }
        }
    }

    /// Renders one variable; returns false when it produced nothing (so a following separator
    /// does not double the space).
    private func renderVariable(
        _ variable: LogFormatVariable, flags: Flags, context: SampleContext, info: StreamLogInfo,
        into out: inout ByteBuffer
    ) -> Bool {
        func number(_ value: Int) { SampleText.writeDecimal(value, to: &out) }
        func partialMark() { if info.isPartial { out.writeInteger(UInt8(ascii: "+")) } }
        switch variable {
        case .globalOptions:
            return false
        case .clientIP: LogFormat.writeAddress(context.clientAddress, flags: flags, into: &out)
        case .clientPort: LogFormat.writePort(context.clientAddress, flags: flags, into: &out)
        case .frontendIP: LogFormat.writeAddress(context.localAddress, flags: flags, into: &out)
        case .frontendPort: LogFormat.writePort(context.localAddress, flags: flags, into: &out)
        case .backendSourceIP: LogFormat.writeAddress(info.backendSourceAddress, flags: flags, into: &out)
        case .backendSourcePort: LogFormat.writePort(info.backendSourceAddress, flags: flags, into: &out)
        case .serverIP: LogFormat.writeAddress(info.serverAddress, flags: flags, into: &out)
        case .serverPort: LogFormat.writePort(info.serverAddress, flags: flags, into: &out)
        case .date: writeDate(info.acceptDate, style: .localMilliseconds, into: &out)
        case .requestDate: writeDate(info.requestDate, style: .localMilliseconds, into: &out)
        case .dateGMT: writeDate(info.acceptDate, style: .gmt, into: &out)
        case .requestDateGMT: writeDate(info.requestDate, style: .gmt, into: &out)
        case .dateLocal: writeDate(info.acceptDate, style: .localOffset, into: &out)
        case .requestDateLocal: writeDate(info.requestDate, style: .localOffset, into: &out)
        case .timestamp:
            let seconds = info.acceptDate / 1_000_000
            if flags.contains(.hex) {
                LogFormat.writeHex(UInt64(UInt32(truncatingIfNeeded: seconds)), digits: 4, into: &out)
            } else {
                SampleText.writeDecimal(seconds, to: &out)
            }
        case .milliseconds:
            let millis = Int(info.acceptDate % 1_000_000 / 1000)
            if flags.contains(.hex) {
                LogFormat.writeHex(UInt64(millis), digits: 2, into: &out)
            } else {
                SampleText.writePadded(millis, width: 3, to: &out)
            }
        case .frontend: LogFormat.writeText(context.frontendName, flags: flags, into: &out)
        case .frontendTransport:
            if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
            out.writeString(context.frontendName)
            if info.frontendUsesTLS { out.writeInteger(UInt8(ascii: "~")) }
            if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
        case .backend: LogFormat.writeText(context.backendName ?? context.frontendName, flags: flags, into: &out)
        case .server: LogFormat.writeText(context.serverName ?? "<NOSRV>", flags: flags, into: &out)
        case .tlsCipher, .tlsVersion: LogFormat.writeText(Optional<String>.none, flags: flags, into: &out)
        case .handshakeTime: number(info.handshakeTime)
        case .idleTime: number(info.idleTime)
        case .requestTime: number(info.requestTime)
        case .requestCompleteTime: number(info.requestCompleteTime)
        case .queueTime: number(info.queueTime)
        case .connectTime: number(info.connectTime)
        case .responseTime: number(info.responseTime)
        case .dataTime: number(info.dataTime(http: context.request != nil || info.requestLine != nil))
        case .activeTime:
            partialMark()
            number(info.activeTime)
        case .totalTime:
            partialMark()
            number(info.totalTime)
        case .userTime:
            partialMark()
            number(info.userTime)
        case .status: number(info.status)
        case .bytesRead:
            partialMark()
            SampleText.writeDecimal(info.bytesOut, to: &out)
        case .bytesUploaded: SampleText.writeDecimal(info.bytesIn, to: &out)
        case .capturedRequestCookie: LogFormat.writeText(info.capturedRequestCookie, flags: flags, into: &out)
        case .capturedResponseCookie: LogFormat.writeText(info.capturedResponseCookie, flags: flags, into: &out)
        case .terminationState:
            LogFormat.writeState(info.terminationState, into: &out)
        case .terminationStateWithCookie:
            LogFormat.writeState(info.terminationState, into: &out)
            LogFormat.writeState(info.cookieState, into: &out)
        case .activeConnections: number(info.activeConnections)
        case .frontendConnections: number(info.frontendConnections)
        case .backendConnections: number(info.backendConnections)
        case .serverConnections: number(info.serverConnections)
        case .retries:
            if info.redispatched { out.writeInteger(UInt8(ascii: "+")) }
            number(info.retries)
        case .serverQueue: number(info.serverQueue)
        case .backendQueue: number(info.backendQueue)
        case .requestHeaders:
            return LogFormat.writeCaptures(info.capturedRequestHeaders, list: false, flags: flags, into: &out)
        case .requestHeaderList:
            return LogFormat.writeCaptures(info.capturedRequestHeaders, list: true, flags: flags, into: &out)
        case .responseHeaders:
            return LogFormat.writeCaptures(info.capturedResponseHeaders, list: false, flags: flags, into: &out)
        case .responseHeaderList:
            return LogFormat.writeCaptures(info.capturedResponseHeaders, list: true, flags: flags, into: &out)
        case .request:
            if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
            LogEncoding.encode(
                ByteBuffer(string: info.requestLine ?? "<BADREQ>"), escape: UInt8(ascii: "#"), map: LogEncoding.urlMap,
                flags: flags, into: &out)
            if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
        case .httpMethod, .httpPath, .httpPathOnly, .httpQuery, .httpURI, .httpVersion:
            if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
            LogEncoding.encode(
                LogFormat.requestLinePart(variable, line: info.requestLine), escape: UInt8(ascii: "#"),
                map: LogEncoding.urlMap, flags: flags, into: &out)
            if flags.contains(.quote) { out.writeInteger(UInt8(ascii: "\"")) }
        case .requestCounter:
            if flags.contains(.hex) {
                LogFormat.writeHex(UInt64(info.requestCounter), digits: 4, into: &out)
            } else {
                number(info.requestCounter)
            }
        case .logCounter:
            if flags.contains(.hex) {
                LogFormat.writeHex(UInt64(info.logCounter), digits: 4, into: &out)
            } else {
                number(info.logCounter)
            }
        case .hostname: LogFormat.writeText(ProcessIdentity.hostname, flags: flags, into: &out)
        case .pid:
            if flags.contains(.hex) {
                LogFormat.writeHex(UInt64(ProcessIdentity.pid), digits: 4, into: &out)
            } else {
                number(Int(ProcessIdentity.pid))
            }
        case .uniqueID: LogFormat.writeText(info.uniqueID, flags: flags, into: &out)
        }
        return true
    }

    private static func writeState(_ state: String, into out: inout ByteBuffer) {
        var utf8 = state.utf8.makeIterator()
        out.writeInteger(utf8.next() ?? UInt8(ascii: "-"))
        out.writeInteger(utf8.next() ?? UInt8(ascii: "-"))
    }
}
