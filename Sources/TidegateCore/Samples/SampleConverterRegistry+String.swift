import NIOCore
import TidegateConfig

extension SampleConverterRegistry {
    /// Case, length, encodings, field extraction, regsub, trimming, concatenation.
    mutating func registerStringConverters() {
        register(
            .init(name: "lower", inputType: .str, outputType: .str) { input, _, _ in
                .str(Self.mapBytes(input.buffer!, SampleText.lower))
            })
        register(
            .init(name: "upper", inputType: .str, outputType: .str) { input, _, _ in
                .str(Self.mapBytes(input.buffer!, SampleText.upper))
            })
        register(
            .init(name: "length", inputType: .str, outputType: .sint) { input, _, _ in
                .sint(Int64(input.buffer!.readableBytes))
            })
        register(
            .init(name: "hex", inputType: .bin, outputType: .str) { input, _, _ in
                var out = ByteBuffer()
                SampleText.writeHex(input.buffer!, to: &out)
                return .str(out)
            })
        register(
            .init(name: "base64", inputType: .bin, outputType: .str) { input, _, _ in
                .str(Base64.encode(input.buffer!, urlSafe: false))
            })
        register(
            .init(name: "ub64enc", inputType: .bin, outputType: .str) { input, _, _ in
                .str(Base64.encode(input.buffer!, urlSafe: true))
            })
        register(
            .init(name: "b64dec", inputType: .str, outputType: .bin) { input, _, _ in
                Base64.decode(input.buffer!, urlSafe: false).map { .bin($0) }
            })
        register(
            .init(name: "ub64dec", inputType: .str, outputType: .bin) { input, _, _ in
                Base64.decode(input.buffer!, urlSafe: true).map { .bin($0) }
            })
        register(
            .init(
                name: "url_dec", inputType: .str, outputType: .str, maximumArguments: 1, argumentKinds: [.integer]
            ) { input, args, _ in
                Self.urlDecode(input.buffer!, form: (args[0].integerValue ?? 0) != 0).map { .str($0) }
            })
        register(
            .init(
                name: "json", inputType: .str, outputType: .str, maximumArguments: 1,
                compileArguments: { raw, _ throws(SampleCompileError) in
                    let modes = ["": 0, "ascii": 0, "utf8": 1, "utf8s": 2, "utf8p": 3, "utf8ps": 4]
                    let text = raw.first ?? ""
                    guard let mode = modes[text] else {
                        throw SampleCompileError(
                            .invalidArgument,
                            "unexpected input code type '\(text)'; "
                                + "allowed values are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'"
                        )
                    }
                    return [.integer(Int64(mode))]
                }
            ) { input, args, _ in
                Self.jsonEscape(input.buffer!, mode: Int(args[0].integerValue ?? 0)).map { .str($0) }
            })
        register(fieldConverter(name: "field", words: false))
        register(fieldConverter(name: "word", words: true))
        register(
            .init(
                name: "regsub", inputType: .str, outputType: .str, minimumArguments: 2, maximumArguments: 3,
                compileArguments: { raw, _ throws(SampleCompileError) in
                    var ignoreCase = false
                    var global = false
                    if raw.count > 2 {
                        for flag in raw[2] {
                            switch flag {
                            case "i": ignoreCase = true
                            case "g": global = true
                            default:
                                throw SampleCompileError(
                                    .invalidArgument, "invalid regex flag '\(flag)', only 'i' and 'g' are supported")
                            }
                        }
                    }
                    let regex = try CompiledRegex(raw[0], ignoresCase: ignoreCase)
                    return [.regex(regex), .string(raw[1]), .integer(global ? 1 : 0)]
                }
            ) { input, args, _ in
                guard case .regex(let regex) = args[0], let template = args[1].stringValue else { return nil }
                return .str(
                    regex.substitute(
                        input.buffer!, template: RegexTemplate(template), global: args[2].integerValue == 1))
            })
        register(
            .init(
                name: "bytes", inputType: .bin, outputType: .bin, minimumArguments: 1, maximumArguments: 2,
                argumentKinds: [.integer, .integer]
            ) { input, args, _ in
                let buffer = input.buffer!
                let offset = Int(max(args[0].integerValue ?? 0, 0))
                guard buffer.readableBytes > offset else { return .bin(ByteBuffer()) }
                var length = buffer.readableBytes - offset
                if let limit = args[1].integerValue, limit >= 0, Int(limit) < length { length = Int(limit) }
                return .bin(buffer.getSlice(at: buffer.readerIndex + offset, length: length)!)
            })
        register(trimConverter(name: "ltrim", leading: true))
        register(trimConverter(name: "rtrim", leading: false))
        register(
            .init(
                name: "concat", inputType: .str, outputType: .str, maximumArguments: 3,
                argumentKinds: [.string, .variable, .string]
            ) { input, args, context in
                var out = input.buffer!
                if let start = args[0].stringValue { out.writeString(start) }
                if case .variable(let name) = args[1], let value = context.variable(name),
                    case .str(var text)? = value.converted(to: .str)
                {
                    out.writeBuffer(&text)
                }
                if let end = args[2].stringValue { out.writeString(end) }
                return .str(out)
            })
        register(
            .init(
                name: "strcmp", inputType: .str, outputType: .sint, minimumArguments: 1, maximumArguments: 1,
                argumentKinds: [.variable]
            ) { input, args, context in
                guard case .variable(let name) = args[0], let other = context.variable(name)?.converted(to: .str),
                    let rhs = other.buffer
                else { return nil }
                return .sint(Int64(Self.compare(input.buffer!, rhs)))
            })
    }

    /// A copy of `buffer` with `transform` applied to each byte; the input itself when nothing changes.
    static func mapBytes(_ buffer: ByteBuffer, _ transform: (UInt8) -> UInt8) -> ByteBuffer {
        let changes = buffer.withUnsafeReadableBytes { raw in raw.contains { transform($0) != $0 } }
        guard changes else { return buffer }
        var out = ByteBuffer()
        out.reserveCapacity(buffer.readableBytes)
        buffer.withUnsafeReadableBytes { raw in
            _ = out.writeWithUnsafeMutableBytes(minimumWritableBytes: raw.count) { dst in
                for i in 0..<raw.count { dst[i] = transform(raw[i]) }
                return raw.count
            }
        }
        return out
    }

    static func compare(_ a: ByteBuffer, _ b: ByteBuffer) -> Int {
        a.withUnsafeReadableBytes { ra in
            b.withUnsafeReadableBytes { rb in
                let n = min(ra.count, rb.count)
                for i in 0..<n where ra[i] != rb[i] { return ra[i] < rb[i] ? -1 : 1 }
                return ra.count == rb.count ? 0 : (ra.count < rb.count ? -1 : 1)
            }
        }
    }

    /// Decodes `%XX` escapes; `+` becomes a space in form mode or after a `?`. Fails on a bad escape.
    static func urlDecode(_ buffer: ByteBuffer, form: Bool) -> ByteBuffer? {
        buffer.withUnsafeReadableBytes { raw -> ByteBuffer? in
            var out = ByteBuffer()
            out.reserveCapacity(raw.count)
            var inQuery = form
            var i = 0
            while i < raw.count {
                let c = raw[i]
                if c == UInt8(ascii: "%") {
                    guard i + 2 < raw.count, let hi = SampleText.hexValue(raw[i + 1]),
                        let lo = SampleText.hexValue(raw[i + 2])
                    else { return nil }
                    out.writeInteger(hi << 4 | lo)
                    i += 3
                    continue
                }
                if c == UInt8(ascii: "?") { inQuery = true }
                out.writeInteger(c == UInt8(ascii: "+") && inQuery ? UInt8(ascii: " ") : c)
                i += 1
            }
            return out
        }
    }

    /// Escapes a string for a JSON string literal, reading it as ASCII (mode 0) or UTF-8 (1: fail on
    /// errors, 2: skip errors, 3 and 4: the same but permissive on overlong and surrogate forms).
    static func jsonEscape(_ buffer: ByteBuffer, mode: Int) -> ByteBuffer? {
        buffer.withUnsafeReadableBytes { raw -> ByteBuffer? in
            var out = ByteBuffer()
            out.reserveCapacity(raw.count + 8)
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            var i = 0
            while i < raw.count {
                var c = UInt32(raw[i])
                if mode == 0 {
                    i += 1
                } else {
                    let (scalar, length, problem) = UTF8Decoding.next(raw, at: i)
                    i += length
                    switch problem {
                    case .none: break
                    case .bad:
                        if mode == 2 || mode == 4 { continue }
                        return nil
                    case .lenient:
                        if mode == 1 { return nil }
                        if mode == 2 { continue }
                    }
                    c = scalar
                }
                switch c {
                case 0x22: out.writeStaticString("\\\"")
                case 0x5c: out.writeStaticString("\\\\")
                case 0x2f: out.writeStaticString("\\/")
                case 0x08: out.writeStaticString("\\b")
                case 0x0c: out.writeStaticString("\\f")
                case 0x0d: out.writeStaticString("\\r")
                case 0x0a: out.writeStaticString("\\n")
                case 0x09: out.writeStaticString("\\t")
                case 0x20...0x7e: out.writeInteger(UInt8(c))
                default:
                    let v = UInt16(truncatingIfNeeded: c)
                    out.writeStaticString("\\u")
                    out.writeInteger(hex[Int(v >> 12)])
                    out.writeInteger(hex[Int(v >> 8 & 15)])
                    out.writeInteger(hex[Int(v >> 4 & 15)])
                    out.writeInteger(hex[Int(v & 15)])
                }
            }
            return out
        }
    }

    private func fieldConverter(name: String, words: Bool) -> SampleConverterDescriptor {
        SampleConverterDescriptor(
            name: name, inputType: .str, outputType: .str, minimumArguments: 2, maximumArguments: 3,
            compileArguments: { raw, _ throws(SampleCompileError) in
                guard let index = Int64(raw[0]) else {
                    throw SampleCompileError(.invalidArgument, "failed to parse '\(raw[0])' as type signed integer")
                }
                guard index != 0 else { throw SampleCompileError(.invalidArgument, "unexpected value 0 for index") }
                guard !raw[1].isEmpty else { throw SampleCompileError(.invalidArgument, "empty separators list") }
                var count: Int64 = 1
                if raw.count > 2, !raw[2].isEmpty {
                    guard let value = Int64(raw[2]), value >= 0 else {
                        throw SampleCompileError(.invalidArgument, "invalid count '\(raw[2])'")
                    }
                    count = value
                }
                return [.integer(index), .sample(.str(ByteBuffer(string: raw[1]))), .integer(count)]
            },
            convert: { input, args, _ in
                guard case .sample(.str(let delimiters)) = args[1] else { return nil }
                let buffer = input.buffer!
                let range = buffer.withUnsafeReadableBytes { raw in
                    delimiters.withUnsafeReadableBytes { delims in
                        words
                            ? FieldExtraction.word(
                                raw, index: Int(args[0].integerValue!), delimiters: delims,
                                count: Int(args[2].integerValue!))
                            : FieldExtraction.field(
                                raw, index: Int(args[0].integerValue!), delimiters: delims,
                                count: Int(args[2].integerValue!))
                    }
                }
                guard let range else { return words ? .str(ByteBuffer()) : nil }
                return .str(buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!)
            })
    }

    private func trimConverter(name: String, leading: Bool) -> SampleConverterDescriptor {
        SampleConverterDescriptor(
            name: name, inputType: .str, outputType: .str, minimumArguments: 1, maximumArguments: 1,
            compileArguments: { raw, _ throws(SampleCompileError) in
                [.sample(.str(ByteBuffer(string: raw[0])))]
            },
            convert: { input, args, _ in
                guard case .sample(.str(let chars)) = args[0] else { return nil }
                let buffer = input.buffer!
                let range = buffer.withUnsafeReadableBytes { raw in
                    chars.withUnsafeReadableBytes { set -> Range<Int> in
                        var lo = 0
                        var hi = raw.count
                        if leading {
                            while lo < hi, set.contains(raw[lo]) { lo += 1 }
                        } else {
                            while hi > lo, set.contains(raw[hi - 1]) { hi -= 1 }
                        }
                        return lo..<hi
                    }
                }
                return .str(buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!)
            })
    }
}

/// HAProxy's `field` and `word` converters on raw bytes.
enum FieldExtraction {
    @inline(__always)
    static func isDelimiter(_ byte: UInt8, _ delimiters: UnsafeRawBufferPointer) -> Bool {
        delimiters.contains(byte)
    }

    /// The byte range of fields `index`… (`count` fields, 0 = all remaining) separated by any of
    /// `delimiters`; negative indexes count from the end. Nil when the field does not exist.
    static func field(_ raw: UnsafeRawBufferPointer, index: Int, delimiters: UnsafeRawBufferPointer, count: Int)
        -> Range<Int>?
    {
        var remaining = count
        if index > 0 {
            var field = 1
            var start = 0
            var end = 0
            while end < raw.count {
                if isDelimiter(raw[end], delimiters) {
                    if field == index {
                        if remaining == 1 { return start..<end }
                        if remaining > 1 { remaining -= 1 }
                    } else {
                        start = end + 1
                        field += 1
                    }
                }
                end += 1
            }
            return field == index ? start..<end : nil
        }
        var field = -1
        var end = raw.count
        var start = raw.count
        while start > 0 {
            if isDelimiter(raw[start - 1], delimiters) {
                if field == index {
                    if remaining == 1 { return start..<end }
                    if remaining > 1 { remaining -= 1 }
                } else {
                    end = start - 1
                    field -= 1
                }
            }
            start -= 1
        }
        return field == index ? start..<end : nil
    }

    /// Like `field`, but runs of delimiters count as one and leading/trailing delimiters are ignored.
    static func word(_ raw: UnsafeRawBufferPointer, index: Int, delimiters: UnsafeRawBufferPointer, count: Int)
        -> Range<Int>?
    {
        var remaining = count
        var word = 0
        var inWord = false
        if index > 0 {
            var start = 0
            var end = 0
            while end < raw.count {
                let separator = isDelimiter(raw[end], delimiters)
                if !inWord {
                    if !separator {
                        if word != index {
                            word += 1
                            start = end
                        }
                        inWord = true
                    }
                } else if separator {
                    if word == index {
                        if remaining == 1 { return start..<end }
                        if remaining > 1 { remaining -= 1 }
                    }
                    inWord = false
                }
                end += 1
            }
            return word == index ? start..<end : nil
        }
        var end = raw.count
        var start = raw.count
        while start > 0 {
            let separator = isDelimiter(raw[start - 1], delimiters)
            if !inWord {
                if !separator {
                    if word != index {
                        word -= 1
                        end = start
                    }
                    inWord = true
                }
            } else if separator {
                if word == index {
                    if remaining == 1 { return start..<end }
                    if remaining > 1 { remaining -= 1 }
                }
                inWord = false
            }
            start -= 1
        }
        return word == index ? start..<end : nil
    }
}

/// Base64 (RFC 4648), standard and URL-safe without padding.
enum Base64 {
    private static let standard: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ input: ByteBuffer, urlSafe: Bool) -> ByteBuffer {
        let table = urlSafe ? Self.urlSafe : Self.standard
        var out = ByteBuffer()
        out.reserveCapacity((input.readableBytes + 2) / 3 * 4)
        input.withUnsafeReadableBytes { raw in
            var i = 0
            while i + 3 <= raw.count {
                let v = UInt32(raw[i]) << 16 | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2])
                out.writeInteger(table[Int(v >> 18 & 63)])
                out.writeInteger(table[Int(v >> 12 & 63)])
                out.writeInteger(table[Int(v >> 6 & 63)])
                out.writeInteger(table[Int(v & 63)])
                i += 3
            }
            let rest = raw.count - i
            if rest > 0 {
                var v = UInt32(raw[i]) << 16
                if rest == 2 { v |= UInt32(raw[i + 1]) << 8 }
                out.writeInteger(table[Int(v >> 18 & 63)])
                out.writeInteger(table[Int(v >> 12 & 63)])
                if rest == 2 {
                    out.writeInteger(table[Int(v >> 6 & 63)])
                } else if !urlSafe {
                    out.writeInteger(UInt8(ascii: "="))
                }
                if !urlSafe { out.writeInteger(UInt8(ascii: "=")) }
            }
        }
        return out
    }

    private static func value(_ c: UInt8, urlSafe: Bool) -> UInt32? {
        switch c {
        case 0x41...0x5a: UInt32(c - 0x41)
        case 0x61...0x7a: UInt32(c - 0x61 + 26)
        case 0x30...0x39: UInt32(c - 0x30 + 52)
        case UInt8(ascii: "+") where !urlSafe: 62
        case UInt8(ascii: "/") where !urlSafe: 63
        case UInt8(ascii: "-") where urlSafe: 62
        case UInt8(ascii: "_") where urlSafe: 63
        default: nil
        }
    }

    static func decode(_ input: ByteBuffer, urlSafe: Bool) -> ByteBuffer? {
        input.withUnsafeReadableBytes { raw -> ByteBuffer? in
            var length = raw.count
            if !urlSafe {
                guard length % 4 == 0 else { return nil }
                if length > 0, raw[length - 1] == UInt8(ascii: "=") { length -= 1 }
                if length > 0, raw[length - 1] == UInt8(ascii: "=") { length -= 1 }
            } else if length % 4 == 1 {
                return nil
            }
            var out = ByteBuffer()
            out.reserveCapacity(length * 3 / 4)
            var accumulator: UInt32 = 0
            var bits = 0
            for i in 0..<length {
                guard let v = value(raw[i], urlSafe: urlSafe) else { return nil }
                accumulator = accumulator << 6 | v
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.writeInteger(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                }
            }
            return out
        }
    }
}

/// A UTF-8 decoder reporting problems the way HAProxy's `utf8_next` classifies them.
enum UTF8Decoding {
    enum Problem { case none, lenient, bad }

    /// Decodes one scalar at `index`: the value, how many bytes it used, and whether it was valid,
    /// only acceptable leniently (overlong form, surrogate), or broken.
    static func next(_ raw: UnsafeRawBufferPointer, at index: Int) -> (UInt32, Int, Problem) {
        let first = raw[index]
        if first < 0x80 { return (UInt32(first), 1, .none) }
        let length: Int
        var value: UInt32
        switch first {
        case 0xc0...0xdf:
            length = 2
            value = UInt32(first & 0x1f)
        case 0xe0...0xef:
            length = 3
            value = UInt32(first & 0x0f)
        case 0xf0...0xf7:
            length = 4
            value = UInt32(first & 0x07)
        default:
            return (UInt32(first), 1, .bad)
        }
        guard index + length <= raw.count else { return (UInt32(first), 1, .bad) }
        for k in 1..<length {
            let byte = raw[index + k]
            guard byte & 0xc0 == 0x80 else { return (UInt32(first), k, .bad) }
            value = value << 6 | UInt32(byte & 0x3f)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        if value < minimum || (0xd800...0xdfff).contains(value) { return (value, length, .lenient) }
        if value > 0x10ffff { return (value, length, .bad) }
        return (value, length, .none)
    }
}
