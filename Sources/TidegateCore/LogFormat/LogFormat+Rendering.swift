import NIOCore

extension LogFormat {
    /// Appends the rendered line for `context` to `out`.
    public func render(in context: SampleContext, into out: inout ByteBuffer) {
        var line = ByteLine(capacity: 256)
        renderLine(context, into: &line)
        out.writeBytes(line.bytes)
    }

    /// The rendered line as a string.
    public func render(in context: SampleContext) -> String {
        var line = ByteLine(capacity: 128)
        renderLine(context, into: &line)
        return String(decoding: line.bytes, as: UTF8.self)
    }

    /// The rendered line as bytes.
    public func renderBytes(in context: SampleContext) -> [UInt8] {
        var line = ByteLine(capacity: 256)
        renderLine(context, into: &line)
        return line.bytes
    }

    private func renderLine(_ context: SampleContext, into out: inout ByteLine) {
        var lastWasSpace = true
        let info = context.logInfo
        let savedDirection = context.direction
        if !expressions.isEmpty { context.direction = .request }
        defer { if !expressions.isEmpty { context.direction = savedDirection } }
        literals.withUnsafeBytes { literals in
            nodes.withUnsafeBufferPointer { nodes in
                for node in nodes {
                    switch node {
                    case .separator:
                        if !lastWasSpace {
                            out.append(UInt8(ascii: " "))
                            lastWasSpace = true
                        }
                    case .text(let offset, let length):
                        out.append(
                            contentsOf: UnsafeRawBufferPointer(rebasing: literals[Int(offset)..<Int(offset + length)]))
                        lastWasSpace = false
                    case .expression(let index, let flags):
                        var value: ByteBuffer?
                        if case .str(let text)? = expressions[Int(index)].evaluate(in: context, as: .str) {
                            value = text
                        }
                        if flags.contains(.httpEncode) {
                            value?.withUnsafeReadableBytes {
                                LogEncoding.encode(
                                    $0, escape: UInt8(ascii: "%"), map: LogEncoding.httpMap, flags: flags, into: &out)
                            }
                        } else if let value {
                            value.withUnsafeReadableBytes { LogFormat.writeText($0, flags: flags, into: &out) }
                        } else {
                            LogFormat.writeMissing(flags: flags, into: &out)
                        }
                        lastWasSpace = false
                    case .variable(let variable, let flags):
                        if renderVariable(variable, flags: flags, context: context, info: info, into: &out) {
                            lastWasSpace = false
                        }
                    }
                }
            }
        }
    }

    /// HAProxy's text field: optional quotes, `-` for an empty value unless quoted, optional escaping.
    static func writeText<S: ByteSink>(_ raw: UnsafeRawBufferPointer, flags: Flags, into out: inout S) {
        guard raw.count > 0 else {
            writeMissing(flags: flags, into: &out)
            return
        }
        let quote = flags.contains(.quote)
        if quote { out.append(UInt8(ascii: "\"")) }
        if flags.contains(.escape) {
            LogEncoding.escapeRFC5424(raw, into: &out)
        } else {
            out.append(contentsOf: raw)
        }
        if quote { out.append(UInt8(ascii: "\"")) }
    }

    static func writeText<S: ByteSink>(_ value: String?, flags: Flags, into out: inout S) {
        guard var value else {
            writeMissing(flags: flags, into: &out)
            return
        }
        value.withUTF8 { writeText(UnsafeRawBufferPointer($0), flags: flags, into: &out) }
    }

    /// A missing or empty text value: `""` when quoted, `-` with `+M`, nothing otherwise.
    static func writeMissing<S: ByteSink>(flags: Flags, into out: inout S) {
        if flags.contains(.quote) {
            out.append("\"\"")
        } else if flags.contains(.mandatory) {
            out.append(UInt8(ascii: "-"))
        }
    }

    /// Uppercase hexadecimal, at least `digits` digits.
    static func writeHex<S: ByteSink>(_ value: UInt64, digits: Int, into out: inout S) {
        var started = false
        var shift = 60
        while shift >= 0 {
            let nibble = Int(value >> UInt64(shift) & 15)
            if nibble != 0 || started || shift < digits * 4 {
                started = true
                out.append(SampleText.hexDigitsUpper[nibble])
            }
            shift -= 4
        }
    }

    private static func writeAddress<S: ByteSink>(_ address: SocketAddress?, flags: Flags, into out: inout S) {
        guard let address else {
            writeMissing(flags: flags, into: &out)
            return
        }
        let sample = Sample.address(address)
        if flags.contains(.hex) {
            switch sample {
            case .ipv4(let v4)?: writeHex(UInt64(v4.value), digits: 8, into: &out)
            case .ipv6(let v6)?:
                writeHex(v6.high, digits: 16, into: &out)
                writeHex(v6.low, digits: 16, into: &out)
            default: break
            }
            return
        }
        var text = ByteLine(capacity: 48)
        switch sample {
        case .ipv4(let v4)?: v4.writeText(to: &text)
        case .ipv6(let v6)?: v6.writeText(to: &text)
        default: text.append("unix")
        }
        text.bytes.withUnsafeBytes { writeText($0, flags: flags, into: &out) }
    }

    private static func writePort<S: ByteSink>(_ address: SocketAddress?, flags: Flags, into out: inout S) {
        guard let address else {
            writeMissing(flags: flags, into: &out)
            return
        }
        let port = address.port ?? 0
        if flags.contains(.hex) {
            writeHex(UInt64(port), digits: 4, into: &out)
        } else {
            SampleText.writeDecimal(port, to: &out)
        }
    }

    private enum DateStyle { case localMilliseconds, gmt, localOffset }

    private func writeDate<S: ByteSink>(_ micros: Int64, style: DateStyle, into out: inout S) {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        switch style {
        case .localMilliseconds:
            CivilTime(epochSeconds: seconds, offset: timeZone.offset(at: seconds)).writeLogDate(to: &out)
            out.append(UInt8(ascii: "."))
            SampleText.writePadded(Int((micros - seconds * 1_000_000) / 1000), width: 3, to: &out)
        case .gmt:
            CivilTime(epochSeconds: seconds).writeLogDate(to: &out)
            out.append(" +0000")
        case .localOffset:
            let offset = timeZone.offset(at: seconds)
            CivilTime(epochSeconds: seconds, offset: offset).writeLogDate(to: &out)
            out.append(UInt8(ascii: " "))
            out.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let minutes = abs(offset) / 60
            SampleText.writePadded(minutes / 60, width: 2, to: &out)
            SampleText.writePadded(minutes % 60, width: 2, to: &out)
        }
    }

    private static func writeEncoded<S: ByteSink>(
        _ value: String, escape: UInt8, map: [Bool], flags: Flags, into out: inout S
    ) {
        var copy = value
        copy.withUTF8 {
            LogEncoding.encode(UnsafeRawBufferPointer($0), escape: escape, map: map, flags: flags, into: &out)
        }
    }

    private static func writeCaptures<S: ByteSink>(
        _ captures: [String?]?, list: Bool, flags: Flags, into out: inout S
    ) -> Bool {
        guard let captures, !captures.isEmpty else { return false }
        let quote = flags.contains(.quote)
        if list {
            for (index, capture) in captures.enumerated() {
                if index > 0 { out.append(UInt8(ascii: " ")) }
                if quote { out.append(UInt8(ascii: "\"")) }
                if let capture {
                    writeEncoded(
                        capture, escape: UInt8(ascii: "#"), map: LogEncoding.headerMap, flags: flags, into: &out)
                } else if !quote {
                    out.append(UInt8(ascii: "-"))
                }
                if quote { out.append(UInt8(ascii: "\"")) }
            }
            return true
        }
        if quote { out.append(UInt8(ascii: "\"")) }
        out.append(UInt8(ascii: "{"))
        for (index, capture) in captures.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "|")) }
            if let capture {
                writeEncoded(capture, escape: UInt8(ascii: "#"), map: LogEncoding.headerMap, flags: flags, into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        if quote { out.append(UInt8(ascii: "\"")) }
        return true
    }

    /// The part of the captured request line HAProxy logs for `%HM %HU %HP %HPO %HQ %HV`.
    static func requestLinePart(_ variable: LogFormatVariable, _ raw: UnsafeRawBufferPointer) -> Range<Int>? {
        @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        var i = 0
        while i < raw.count, !isSpace(raw[i]) { i += 1 }
        if variable == .httpMethod { return i == raw.count ? nil : 0..<i }
        if variable == .httpQuery {
            guard let q = raw.firstIndex(of: UInt8(ascii: "?")) else { return raw.count..<raw.count }
            var e = q
            while e < raw.count, !isSpace(raw[e]) { e += 1 }
            return q..<e
        }
        var spaces = 0
        while i < raw.count, isSpace(raw[i]) {
            i += 1
            spaces += 1
        }
        guard spaces > 0 else { return nil }
        let uriStart = i
        while i < raw.count, !isSpace(raw[i]) { i += 1 }
        let uriEnd = i
        switch variable {
        case .httpURI:
            return uriStart..<uriEnd
        case .httpPath:
            var e = uriStart
            while e < uriEnd, raw[e] != UInt8(ascii: "?") { e += 1 }
            return uriStart..<e
        case .httpPathOnly:
            guard let range = HTTPPathParser.pathRange(UnsafeRawBufferPointer(rebasing: raw[uriStart..<uriEnd])) else {
                return uriEnd..<uriEnd
            }
            return (uriStart + range.lowerBound)..<(uriStart + range.upperBound)
        default:
            while i < raw.count, isSpace(raw[i]) { i += 1 }
            return i..<raw.count
        }
    }

    private static func writeRequestPart<S: ByteSink>(
        _ variable: LogFormatVariable, line: String?, flags: Flags, into out: inout S
    ) {
        let quote = flags.contains(.quote)
        if quote { out.append(UInt8(ascii: "\"")) }
        defer { if quote { out.append(UInt8(ascii: "\"")) } }
        guard var line else {
            out.append("<BADREQ>")
            return
        }
        line.withUTF8 { utf8 in
            let raw = UnsafeRawBufferPointer(utf8)
            if variable == .request {
                LogEncoding.encode(raw, escape: UInt8(ascii: "#"), map: LogEncoding.urlMap, flags: flags, into: &out)
                return
            }
            guard let range = requestLinePart(variable, raw) else {
                out.append("<BADREQ>")
                return
            }
            if variable == .httpVersion && range.isEmpty {
                out.append("HTTP/0.9")
                return
            }
            LogEncoding.encode(
                UnsafeRawBufferPointer(rebasing: raw[range]), escape: UInt8(ascii: "#"), map: LogEncoding.urlMap,
                flags: flags, into: &out)
        }
    }

    /// Renders one variable; returns false when it produced nothing (so a following separator
    /// does not double the space).
    private func renderVariable<S: ByteSink>(
        _ variable: LogFormatVariable, flags: Flags, context: SampleContext, info: StreamLogInfo, into out: inout S
    ) -> Bool {
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
            let quote = flags.contains(.quote)
            if quote { out.append(UInt8(ascii: "\"")) }
            out.append(string: context.frontendName)
            if info.frontendUsesTLS { out.append(UInt8(ascii: "~")) }
            if quote { out.append(UInt8(ascii: "\"")) }
        case .backend: LogFormat.writeText(context.backendName ?? context.frontendName, flags: flags, into: &out)
        case .server: LogFormat.writeText(context.serverName ?? "<NOSRV>", flags: flags, into: &out)
        case .tlsCipher, .tlsVersion: LogFormat.writeMissing(flags: flags, into: &out)
        case .handshakeTime: SampleText.writeDecimal(info.handshakeTime, to: &out)
        case .idleTime: SampleText.writeDecimal(info.idleTime, to: &out)
        case .requestTime: SampleText.writeDecimal(info.requestTime, to: &out)
        case .requestCompleteTime: SampleText.writeDecimal(info.requestCompleteTime, to: &out)
        case .queueTime: SampleText.writeDecimal(info.queueTime, to: &out)
        case .connectTime: SampleText.writeDecimal(info.connectTime, to: &out)
        case .responseTime: SampleText.writeDecimal(info.responseTime, to: &out)
        case .dataTime:
            SampleText.writeDecimal(info.dataTime(http: context.request != nil || info.requestLine != nil), to: &out)
        case .activeTime:
            if info.isPartial { out.append(UInt8(ascii: "+")) }
            SampleText.writeDecimal(info.activeTime, to: &out)
        case .totalTime:
            if info.isPartial { out.append(UInt8(ascii: "+")) }
            SampleText.writeDecimal(info.totalTime, to: &out)
        case .userTime:
            if info.isPartial { out.append(UInt8(ascii: "+")) }
            SampleText.writeDecimal(info.userTime, to: &out)
        case .status: SampleText.writeDecimal(info.status, to: &out)
        case .bytesRead:
            if info.isPartial { out.append(UInt8(ascii: "+")) }
            SampleText.writeDecimal(info.bytesOut, to: &out)
        case .bytesUploaded: SampleText.writeDecimal(info.bytesIn, to: &out)
        case .capturedRequestCookie: LogFormat.writeText(info.capturedRequestCookie, flags: flags, into: &out)
        case .capturedResponseCookie: LogFormat.writeText(info.capturedResponseCookie, flags: flags, into: &out)
        case .terminationState:
            LogFormat.writeState(info.terminationState, into: &out)
        case .terminationStateWithCookie:
            LogFormat.writeState(info.terminationState, into: &out)
            LogFormat.writeState(info.cookieState, into: &out)
        case .activeConnections: SampleText.writeDecimal(info.activeConnections, to: &out)
        case .frontendConnections: SampleText.writeDecimal(info.frontendConnections, to: &out)
        case .backendConnections: SampleText.writeDecimal(info.backendConnections, to: &out)
        case .serverConnections: SampleText.writeDecimal(info.serverConnections, to: &out)
        case .retries:
            if info.redispatched { out.append(UInt8(ascii: "+")) }
            SampleText.writeDecimal(info.retries, to: &out)
        case .serverQueue: SampleText.writeDecimal(info.serverQueue, to: &out)
        case .backendQueue: SampleText.writeDecimal(info.backendQueue, to: &out)
        case .requestHeaders:
            return LogFormat.writeCaptures(info.capturedRequestHeaders, list: false, flags: flags, into: &out)
        case .requestHeaderList:
            return LogFormat.writeCaptures(info.capturedRequestHeaders, list: true, flags: flags, into: &out)
        case .responseHeaders:
            return LogFormat.writeCaptures(info.capturedResponseHeaders, list: false, flags: flags, into: &out)
        case .responseHeaderList:
            return LogFormat.writeCaptures(info.capturedResponseHeaders, list: true, flags: flags, into: &out)
        case .request, .httpMethod, .httpPath, .httpPathOnly, .httpQuery, .httpURI, .httpVersion:
            LogFormat.writeRequestPart(variable, line: info.requestLine, flags: flags, into: &out)
        case .requestCounter:
            if flags.contains(.hex) {
                LogFormat.writeHex(UInt64(info.requestCounter), digits: 4, into: &out)
            } else {
                SampleText.writeDecimal(info.requestCounter, to: &out)
            }
        case .logCounter:
            if flags.contains(.hex) {
                LogFormat.writeHex(UInt64(info.logCounter), digits: 4, into: &out)
            } else {
                SampleText.writeDecimal(info.logCounter, to: &out)
            }
        case .hostname: LogFormat.writeText(ProcessIdentity.hostname, flags: flags, into: &out)
        case .pid:
            if flags.contains(.hex) {
                LogFormat.writeHex(UInt64(ProcessIdentity.pid), digits: 4, into: &out)
            } else {
                SampleText.writeDecimal(Int(ProcessIdentity.pid), to: &out)
            }
        case .uniqueID: LogFormat.writeText(info.uniqueID, flags: flags, into: &out)
        }
        return true
    }

    private static func writeState<S: ByteSink>(_ state: String, into out: inout S) {
        var utf8 = state.utf8.makeIterator()
        out.append(utf8.next() ?? UInt8(ascii: "-"))
        out.append(utf8.next() ?? UInt8(ascii: "-"))
    }
}
