/// Parsers for the scalar values used throughout the configuration: times, integers and sizes.
///
/// They return a ``ConfigValueError`` whose message is meant to be prefixed by the keyword being parsed,
/// e.g. `'timeout client' : unexpected character 'x' in time value '10x'.`
public enum ConfigValueParser {
    /// The largest time HAProxy accepts for timers, in milliseconds (~24.8 days).
    public static let maximumTimeMilliseconds = Int(Int32.max)

    /// Parses a HAProxy time (`<digits>[us|ms|s|m|h|d]`, milliseconds when no unit) into milliseconds.
    /// Microseconds are rounded up to the next millisecond.
    public static func milliseconds(_ text: String) -> Result<Int, ConfigValueError> {
        guard !text.isEmpty else { return .failure(ConfigValueError("missing time value")) }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else {
            return .failure(ConfigValueError("invalid time value '\(text)' (expected a number with an optional unit)"))
        }
        guard let value = Int(digits), value <= maximumTimeMilliseconds * 1000 else {
            return .failure(
                ConfigValueError(
                    "timer overflow in '\(text)', maximum value is \(maximumTimeMilliseconds) ms (~24.8 days)"
                )
            )
        }
        let unit = text.dropFirst(digits.count)
        let result: Int
        switch unit {
        case "", "ms": result = value
        case "us": result = (value + 999) / 1000
        case "s": result = value.multipliedReportingOverflow(by: 1000).partialValue
        case "m": result = value.multipliedReportingOverflow(by: 60_000).partialValue
        case "h": result = value.multipliedReportingOverflow(by: 3_600_000).partialValue
        case "d": result = value.multipliedReportingOverflow(by: 86_400_000).partialValue
        default:
            let bad = unit.first.map(String.init) ?? ""
            return .failure(
                ConfigValueError("unexpected character '\(bad)' in time value '\(text)' (units are us, ms, s, m, h, d)")
            )
        }
        guard result >= 0, result <= maximumTimeMilliseconds else {
            return .failure(
                ConfigValueError(
                    "timer overflow in '\(text)', maximum value is \(maximumTimeMilliseconds) ms (~24.8 days)"
                )
            )
        }
        return .success(result)
    }

    /// Parses a decimal integer within `range`.
    public static func integer(_ text: String, in range: ClosedRange<Int> = 0...Int(Int32.max)) -> Result<
        Int, ConfigValueError
    > {
        guard !text.isEmpty else { return .failure(ConfigValueError("missing integer value")) }
        let body = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) else {
            return .failure(ConfigValueError("expects an integer value, got '\(text)'"))
        }
        guard range.contains(value) else {
            return .failure(
                ConfigValueError("value '\(text)' is out of range (\(range.lowerBound)-\(range.upperBound))")
            )
        }
        return .success(value)
    }

    /// Parses a size in bytes with an optional `k`, `m` or `g` suffix (powers of 1024).
    public static func size(_ text: String, in range: ClosedRange<Int> = 0...Int(Int32.max)) -> Result<
        Int, ConfigValueError
    > {
        var digits = Substring(text)
        var multiplier = 1
        switch text.last {
        case "k", "K": multiplier = 1024
        case "m", "M": multiplier = 1024 * 1024
        case "g", "G": multiplier = 1024 * 1024 * 1024
        default: break
        }
        if multiplier != 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else {
            return .failure(
                ConfigValueError("expects a size value (number with optional k, m or g suffix), got '\(text)'")
            )
        }
        let (total, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow, range.contains(total) else {
            return .failure(
                ConfigValueError("size '\(text)' is out of range (\(range.lowerBound)-\(range.upperBound))")
            )
        }
        return .success(total)
    }

    /// Parses a UNIX permission mode written in octal (`600`, `0660`), at most `7777`.
    public static func octalMode(_ text: String) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ ("0"..."7").contains($0) }), let value = Int(text, radix: 8),
            value <= 0o7777
        else { return nil }
        return value
    }
}
