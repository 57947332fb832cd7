import NIOCore
import TidegateConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SampleConverterRegistry {
    /// `ipmask`, `set-var`, `unset-var`, `http_date`, `ltime`, `utime`.
    mutating func registerMiscConverters() {
        register(
            .init(
                name: "ipmask", inputType: .addr, outputType: .addr, minimumArguments: 1, maximumArguments: 2,
                compileArguments: { raw, _ throws(SampleCompileError) in
                    let mask4: UInt32
                    if let bits = Int(raw[0]), (0...32).contains(bits) {
                        mask4 = IPv4Address.mask(prefixLength: bits)
                    } else if let dotted = IPv4Address(raw[0]) {
                        mask4 = dotted.value
                    } else {
                        throw SampleCompileError(.invalidArgument, "invalid IPv4 mask '\(raw[0])'")
                    }
                    var mask6: SampleArgument = .none
                    if raw.count > 1, !raw[1].isEmpty {
                        guard let bits = Int(raw[1]), (0...128).contains(bits) else {
                            throw SampleCompileError(.invalidArgument, "invalid IPv6 mask '\(raw[1])'")
                        }
                        mask6 = .ipv6(IPv6Address.mask(prefixLength: bits), prefixLength: bits)
                    }
                    return [.ipv4(IPv4Address(mask4), mask: mask4), mask6]
                }
            ) { input, args, _ in
                switch input {
                case .ipv4(let address):
                    guard case .ipv4(_, let mask) = args[0] else { return nil }
                    return .ipv4(IPv4Address(address.value & mask))
                case .ipv6(let address):
                    guard case .ipv6(let mask, _) = args[1] else { return nil }
                    return .ipv6(address.masked(by: mask))
                default:
                    return nil
                }
            })
        register(
            .init(
                name: "set-var", inputType: .any, outputType: .any, passesInputType: true, minimumArguments: 1,
                maximumArguments: 1, argumentKinds: [.variable]
            ) { input, args, context in
                if case .variable(let name) = args[0] { context.setVariable(name, to: input) }
                return input
            })
        register(
            .init(
                name: "unset-var", inputType: .any, outputType: .any, passesInputType: true, minimumArguments: 1,
                maximumArguments: 1, argumentKinds: [.variable]
            ) { input, args, context in
                if case .variable(let name) = args[0] { context.setVariable(name, to: nil) }
                return input
            })
        register(
            .init(
                name: "http_date", inputType: .sint, outputType: .str, maximumArguments: 2,
                compileArguments: Self.offsetAndUnit
            ) { input, args, _ in
                guard case .sint(let value) = input else { return nil }
                // The offset is in the input's unit, added before converting to seconds (as HAProxy).
                let divisor = args[1].integerValue ?? 1
                let seconds = (value + (args[0].integerValue ?? 0)) / divisor
                var out = ByteBuffer()
                CivilTime(epochSeconds: seconds).writeHTTPDate(to: &out)
                return .str(out)
            })
        register(timeFormatConverter("ltime", local: true))
        register(timeFormatConverter("utime", local: false))
    }

    /// `[<offset>[,<unit>]]` with unit `s`, `ms` or `us`: returns the offset and the divisor to seconds.
    static let offsetAndUnit: SampleFetchDescriptor.CompileArguments = { raw, _ throws(SampleCompileError) in
        let (offset, unitsPerSecond) = try parseOffsetAndUnit(raw)
        return [.integer(offset), .integer(unitsPerSecond)]
    }

    /// Parses `[<offset>[,<unit>]]`: the offset and how many units make one second (s 1, ms 1000, us 1000000).
    static func parseOffsetAndUnit(_ raw: [String]) throws(SampleCompileError) -> (Int64, Int64) {
        var offset: Int64 = 0
        if let first = raw.first, !first.isEmpty {
            guard let value = Int64(first) else {
                throw SampleCompileError(.invalidArgument, "invalid offset '\(first)'")
            }
            offset = value
        }
        let unit = raw.count > 1 ? raw[1] : "s"
        switch unit {
        case "s", "": return (offset, 1)
        case "ms": return (offset, 1000)
        case "us": return (offset, 1_000_000)
        default: throw SampleCompileError(.invalidArgument, "unknown unit '\(unit)' (expects s, ms or us)")
        }
    }

    private func timeFormatConverter(_ name: String, local: Bool) -> SampleConverterDescriptor {
        SampleConverterDescriptor(
            name: name, inputType: .sint, outputType: .str, minimumArguments: 1, maximumArguments: 2,
            argumentKinds: [.string, .integer],
            convert: { input, args, _ in
                guard case .sint(let value) = input, let format = args[0].stringValue else { return nil }
                var t = time_t(value + (args[1].integerValue ?? 0))
                var parts = tm()
                if local {
                    guard localtime_r(&t, &parts) != nil else { return nil }
                } else {
                    guard gmtime_r(&t, &parts) != nil else { return nil }
                }
                return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { out -> Sample? in
                    let length = strftime(out.baseAddress!, 512, format, &parts)
                    guard length > 0 || format.isEmpty else { return nil }
                    var buffer = ByteBuffer()
                    buffer.writeBytes(UnsafeRawBufferPointer(start: out.baseAddress!, count: length))
                    return .str(buffer)
                }
            })
    }
}
