import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A broken-down calendar time (proleptic Gregorian), computed without the C library so that UTC
/// rendering does not depend on the process time zone.
struct CivilTime: Sendable, Equatable {
    var year: Int
    /// 1...12
    var month: Int
    /// 1...31
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// 0 = Sunday.
    var weekday: Int

    static let monthNames: [StaticString] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    static let dayNames: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

    /// The calendar time of `epochSeconds` shifted by `offset` seconds (0 for UTC).
    init(epochSeconds: Int64, offset: Int = 0) {
        let t = epochSeconds + Int64(offset)
        var days = t / 86_400
        var rest = t % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        hour = Int(rest / 3600)
        minute = Int(rest % 3600 / 60)
        second = Int(rest % 60)
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400 + (month <= 2 ? 1 : 0))
    }

    /// The local time zone's offset from UTC at `epochSeconds`, in seconds.
    static func localOffset(at epochSeconds: Int64) -> Int {
        var t = time_t(epochSeconds)
        var tm = tm()
        guard localtime_r(&t, &tm) != nil else { return 0 }
        return Int(tm.tm_gmtoff)
    }

    /// Appends `Tue, 15 Nov 1994 08:12:31 GMT` (RFC 7231 IMF-fixdate).
    func writeHTTPDate<S: ByteSink>(to out: inout S) {
        out.append(CivilTime.dayNames[weekday])
        out.append(", ")
        SampleText.writePadded(day, width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(CivilTime.monthNames[month - 1])
        out.append(UInt8(ascii: " "))
        SampleText.writePadded(year, width: 4, to: &out)
        out.append(UInt8(ascii: " "))
        writeClock(to: &out)
        out.append(" GMT")
    }

    /// Appends `HH:MM:SS`.
    func writeClock<S: ByteSink>(to out: inout S) {
        SampleText.writePadded(hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        SampleText.writePadded(minute, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        SampleText.writePadded(second, width: 2, to: &out)
    }

    /// Appends HAProxy's log date `dd/Mmm/yyyy:HH:MM:SS`.
    func writeLogDate<S: ByteSink>(to out: inout S) {
        SampleText.writePadded(day, width: 2, to: &out)
        out.append(UInt8(ascii: "/"))
        out.append(CivilTime.monthNames[month - 1])
        out.append(UInt8(ascii: "/"))
        SampleText.writePadded(year, width: 4, to: &out)
        out.append(UInt8(ascii: ":"))
        writeClock(to: &out)
    }
}
