import NIOCore

/// The byte escaping HAProxy applies to logged values.
enum LogEncoding {
    /// Bytes escaped in `%r` and the `%H*` request-line variables: controls, 8-bit, `"` and `#`.
    static let urlMap: [Bool] = makeMap(extra: "\"#")
    /// Bytes escaped in captured headers: controls, 8-bit, `"`, `#`, `{`, `|`, `}`.
    static let headerMap: [Bool] = makeMap(extra: "\"#{|}")
    /// Bytes percent-encoded in header values built from samples: controls except tab, and DEL.
    static let httpMap: [Bool] = (0..<256).map { ($0 <= 0x08) || ($0 >= 0x0a && $0 <= 0x1f) || $0 == 0x7f }

    private static func makeMap(extra: String) -> [Bool] {
        var map = (0..<256).map { $0 < 32 || $0 >= 127 }
        for byte in extra.utf8 { map[Int(byte)] = true }
        return map
    }

    /// Writes `value` with bytes in `map` as `<escape>XX`; with the `+E` flag, `"`, `\` and `]`
    /// are backslash-escaped too.
    static func encode<S: ByteSink>(
        _ raw: UnsafeRawBufferPointer, escape: UInt8, map: [Bool], flags: LogFormat.Flags, into out: inout S
    ) {
        let rfc5424 = flags.contains(.escape)
        map.withUnsafeBufferPointer { map in
            for byte in raw {
                if map[Int(byte)] {
                    out.append(escape)
                    out.append(SampleText.hexDigitsUpper[Int(byte >> 4)])
                    out.append(SampleText.hexDigitsUpper[Int(byte & 15)])
                } else if rfc5424
                    && (byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "]"))
                {
                    out.append(UInt8(ascii: "\\"))
                    out.append(byte)
                } else {
                    out.append(byte)
                }
            }
        }
    }

    /// Backslash-escapes `"`, `\` and `]` (RFC 5424 structured data).
    static func escapeRFC5424<S: ByteSink>(_ raw: UnsafeRawBufferPointer, into out: inout S) {
        for byte in raw {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "]") {
                out.append(UInt8(ascii: "\\"))
            }
            out.append(byte)
        }
    }
}
