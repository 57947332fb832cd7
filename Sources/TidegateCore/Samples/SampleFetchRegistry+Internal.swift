import NIOCore
import TidegateConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SampleFetchRegistry {
    /// Constants, variables, environment, time, randomness, proxy names and server state.
    mutating func registerInternalFetches() {
        register(.init(name: "always_true", outputType: .bool, fetch: { _, _ in .bool(true) }))
        register(.init(name: "always_false", outputType: .bool, fetch: { _, _ in .bool(false) }))
        register(constant(name: "str", type: .str) { text in .string(text) })
        register(constant(name: "int", type: .sint) { text in Int64(text).map { .sint($0) } })
        // HAProxy accepts exactly `true`, `false`, `1` and `0`.
        register(
            constant(name: "bool", type: .bool) { text in
                switch text {
                case "true", "1": return .bool(true)
                case "false", "0": return .bool(false)
                default: return nil
                }
            })
        register(constant(name: "ipv4", type: .ipv4) { text in IPv4Address(text).map { .ipv4($0) } })
        register(constant(name: "ipv6", type: .ipv6) { text in IPv6Address(text).map { .ipv6($0) } })
        register(constant(name: "meth", type: .meth) { text in text.isEmpty ? nil : .meth(ByteBuffer(string: text)) })
        register(constant(name: "bin", type: .bin) { text in SampleText.decodeHex(text).map { .binary($0) } })

        register(
            .init(
                name: "env", outputType: .str, minimumArguments: 1, maximumArguments: 1,
                fetch: { context, args in
                    guard let name = args[0].stringValue, let value = context.environment(name) else { return nil }
                    return .string(value)
                }))
        register(
            .init(
                name: "var", outputType: .any, minimumArguments: 1, maximumArguments: 2,
                compileArguments: { raw, _ throws(SampleCompileError) in
                    let name: VariableName
                    switch VariableName.parse(raw[0]) {
                    case .success(let parsed): name = parsed
                    case .failure(let error): throw SampleCompileError(.invalidArgument, error.message)
                    }
                    let fallback: SampleArgument = raw.count > 1 ? .sample(.string(raw[1])) : .none
                    return [.variable(name), fallback]
                },
                fetch: { context, args in
                    guard case .variable(let name) = args[0] else { return nil }
                    if let value = context.variable(name) { return value }
                    if case .sample(let fallback) = args[1] { return fallback }
                    return nil
                }))

        register(
            .init(
                name: "date", outputType: .sint, maximumArguments: 2, argumentKinds: [.integer, .string],
                compileArguments: { raw, _ throws(SampleCompileError) in
                    // The fetch divides microseconds: 1 000 000 per second, 1000 per ms, 1 per us.
                    let (offset, unitsPerSecond) = try SampleConverterRegistry.parseOffsetAndUnit(raw)
                    return [.integer(offset), .integer(1_000_000 / unitsPerSecond)]
                },
                fetch: { context, args in
                    let divisor = args[1].integerValue ?? 1_000_000
                    return .sint(context.clock() / divisor + (args[0].integerValue ?? 0))
                }))
        register(
            .init(
                name: "date_us", outputType: .sint,
                fetch: { context, _ in .sint(context.clock() % 1_000_000) }))
        register(
            .init(
                name: "rand", outputType: .sint, maximumArguments: 1, argumentKinds: [.integer],
                fetch: { context, args in
                    let value = context.random.next() >> 32
                    if let range = args[0].integerValue, range > 0 {
                        return .sint(Int64((value &* UInt64(range)) >> 32))
                    }
                    return .sint(Int64(value))
                }))
        register(
            .init(
                name: "uuid", outputType: .str, maximumArguments: 1, argumentKinds: [.integer],
                compileArguments: { raw, _ throws(SampleCompileError) in
                    let version = raw.first.flatMap { $0.isEmpty ? nil : Int64($0) } ?? 4
                    guard version == 4 || version == 7 else {
                        throw SampleCompileError(
                            .invalidArgument, "unsupported UUID version \(raw[0]) (expects 4 or 7)")
                    }
                    return [.integer(version)]
                },
                fetch: { context, args in
                    .str(SampleFetchRegistry.makeUUID(version: Int(args[0].integerValue ?? 4), context: context))
                }))

        register(.init(name: "fe_name", outputType: .str, fetch: { context, _ in .string(context.frontendName) }))
        register(
            .init(
                name: "be_name", outputType: .str, requirements: .backend,
                fetch: { context, _ in .string(context.backendName ?? context.frontendName) }))
        register(
            .init(
                name: "srv_name", outputType: .str, requirements: .server,
                fetch: { context, _ in context.serverName.map { .string($0) } }))
        register(
            .init(
                name: "nbsrv", outputType: .sint, maximumArguments: 1,
                fetch: { context, args in
                    let backend =
                        args[0].stringValue.flatMap { $0.isEmpty ? nil : $0 }
                        ?? context.backendName ?? context.frontendName
                    guard let count = context.directory?.usableServerCount(backend: backend) else { return nil }
                    return .sint(Int64(count))
                }))
        register(
            .init(
                name: "srv_is_up", outputType: .bool, minimumArguments: 1, maximumArguments: 1,
                fetch: { context, args in
                    guard let text = args[0].stringValue else { return nil }
                    let backend: String
                    let server: String
                    if let slash = text.firstIndex(of: "/") {
                        backend = String(text[..<slash])
                        server = String(text[text.index(after: slash)...])
                    } else {
                        backend = context.backendName ?? context.frontendName
                        server = text
                    }
                    return context.directory?.isServerUp(backend: backend, server: server).map { .bool($0) }
                }))

        register(.init(name: "hostname", outputType: .str, fetch: { _, _ in .string(ProcessIdentity.hostname) }))
        register(.init(name: "pid", outputType: .sint, fetch: { _, _ in .sint(Int64(ProcessIdentity.pid)) }))
        register(
            .init(
                name: "wait_end", outputType: .bool,
                fetch: { context, _ in
                    // No sample until the inspection is final (the inspect-delay expired), then true.
                    guard context.contentFinal else {
                        context.sampleMayChange = true
                        return nil
                    }
                    return .bool(true)
                }))
        register(
            .init(
                name: "unique-id", outputType: .str,
                fetch: { context, _ in context.logInfo.uniqueID.map { .string($0) } }))
    }

    /// A fetch returning the constant its single argument describes, parsed once at compile time.
    private func constant(name: String, type: SampleType, parse: @escaping @Sendable (String) -> Sample?)
        -> SampleFetchDescriptor
    {
        SampleFetchDescriptor(
            name: name, outputType: type, minimumArguments: 1, maximumArguments: 1,
            compileArguments: { raw, _ throws(SampleCompileError) in
                guard let value = parse(raw[0]) else {
                    throw SampleCompileError(.invalidArgument, "failed to parse '\(raw[0])' as type \(type)")
                }
                return [.sample(value)]
            },
            fetch: { _, args in
                if case .sample(let value) = args[0] { return value }
                return nil
            })
    }

    static func makeUUID(version: Int, context: SampleContext) -> ByteBuffer {
        var bytes = [UInt8](repeating: 0, count: 16)
        let a = context.random.next()
        let b = context.random.next()
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: a >> UInt64(8 * i))
            bytes[8 + i] = UInt8(truncatingIfNeeded: b >> UInt64(8 * i))
        }
        if version == 7 {
            let millis = UInt64(context.clock() / 1000)
            for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> UInt64(40 - 8 * i)) }
        }
        bytes[6] = bytes[6] & 0x0f | UInt8(version << 4)
        bytes[8] = bytes[8] & 0x3f | 0x80
        var out = ByteBuffer()
        out.reserveCapacity(36)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.writeInteger(UInt8(ascii: "-")) }
            out.writeInteger(hex[Int(byte >> 4)])
            out.writeInteger(hex[Int(byte & 15)])
        }
        return out
    }
}

/// The host name and process id, read once.
enum ProcessIdentity {
    static let hostname: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, 255) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    static let pid: Int32 = getpid()
}
