import TidegateLuaAPI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the messages of Lua scripts and of the Lua engine go.
enum LuaLogging {
    static let levelNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    /// Messages go to stderr as HAProxy prints them there: `[info] 325/141843 (1234) : message`
    /// (`tune.lua.log.stderr off` silences them).
    static func sink(for configuration: LuaEngineConfiguration) -> LuaLogSink {
        guard configuration.logToStderr != .off else { return { _, _ in } }
        return { level, message in
            var now = time(nil)
            var parts = tm()
            localtime_r(&now, &parts)
            let name = levelNames[max(0, min(level, levelNames.count - 1))]
            let stamp = String(
                format3(Int(parts.tm_yday))) + "/" + format2(Int(parts.tm_hour)) + format2(Int(parts.tm_min))
                + format2(Int(parts.tm_sec))
            let line = "[\(name)] \(stamp) (\(getpid())) : \(message)\n"
            var bytes = Array(line.utf8)
            _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
        }
    }

    private static func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func format3(_ value: Int) -> String {
        value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)"
    }
}
