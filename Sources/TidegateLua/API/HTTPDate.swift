/// Strict parsers of the three HTTP date formats of RFC 9110 §5.6.7 (HAProxy's `parse_imf_date`,
/// `parse_rfc850_date`, `parse_asctime_date`, `parse_http_date`), returning seconds since the epoch (UTC).
///
/// ```
/// IMF-fixdate:  Sun, 06 Nov 1994 08:49:37 GMT
/// rfc850-date:  Sunday, 06-Nov-94 08:49:37 GMT   (a four-digit year is accepted too)
/// asctime-date: Sun Nov  6 08:49:37 1994
/// ```
/// The day name must be a valid one but is not checked against the date; the whole input must be consumed.
public enum HTTPDate {
    private static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Any of the three formats (IMF-fixdate first).
    public static func parse(_ bytes: [UInt8]) -> Int64? {
        self.parseIMF(bytes) ?? self.parseRFC850(bytes) ?? self.parseAsctime(bytes)
    }

    public static func parseIMF(_ bytes: [UInt8]) -> Int64? {
        var scanner = Scanner(bytes)
        guard scanner.word(in: self.shortDays) != nil, scanner.literal(", "),
            let day = scanner.digits(2), scanner.literal(" "),
            let month = scanner.word(in: self.months), scanner.literal(" "),
            let year = scanner.digits(4), scanner.literal(" "),
            let time = scanner.timeOfDay(), scanner.literal(" GMT"), scanner.atEnd
        else { return nil }
        return self.epoch(year: year, month: month + 1, day: day, time: time)
    }

    public static func parseRFC850(_ bytes: [UInt8]) -> Int64? {
        var scanner = Scanner(bytes)
        guard scanner.word(in: self.longDays) != nil, scanner.literal(", "),
            let day = scanner.digits(2), scanner.literal("-"),
            let month = scanner.word(in: self.months), scanner.literal("-"),
            let century = scanner.digits(2)
        else { return nil }
        let year: Int
        if scanner.literal(" ") {
            // Two-digit years, with HAProxy's pivot: 00-60 are 20xx, 61-99 are 19xx.
            year = century <= 60 ? 2000 + century : 1900 + century
        } else {
            // HAProxy also accepts a four-digit year here.
            guard let rest = scanner.digits(2), scanner.literal(" ") else { return nil }
            year = century * 100 + rest
        }
        guard let time = scanner.timeOfDay(), scanner.literal(" GMT"), scanner.atEnd else { return nil }
        return self.epoch(year: year, month: month + 1, day: day, time: time)
    }

    public static func parseAsctime(_ bytes: [UInt8]) -> Int64? {
        var scanner = Scanner(bytes)
        guard scanner.word(in: self.shortDays) != nil, scanner.literal(" "),
            let month = scanner.word(in: self.months), scanner.literal(" ")
        else { return nil }
        let day: Int
        if scanner.literal(" ") {
            guard let digit = scanner.digits(1) else { return nil }
            day = digit
        } else {
            guard let digits = scanner.digits(2) else { return nil }
            day = digits
        }
        guard scanner.literal(" "), let time = scanner.timeOfDay(), scanner.literal(" "),
            let year = scanner.digits(4), scanner.atEnd
        else { return nil }
        return self.epoch(year: year, month: month + 1, day: day, time: time)
    }

    private static func epoch(year: Int, month: Int, day: Int, time: (Int, Int, Int)) -> Int64? {
        guard (1...31).contains(day) else { return nil }
        // Days from civil (proleptic Gregorian), as timegm computes them.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(time.0) * 3600 + Int64(time.1) * 60 + Int64(time.2)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { self.position == self.bytes.count }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard self.position + count <= self.bytes.count else { return false }
            let matches = text.withUTF8Buffer { expected in
                expected.elementsEqual(self.bytes[self.position..<(self.position + count)])
            }
            if matches { self.position += count }
            return matches
        }

        /// Index of the (case-sensitive) word of `words` found here.
        mutating func word(in words: [String]) -> Int? {
            for (index, word) in words.enumerated() {
                let utf8 = Array(word.utf8)
                if self.position + utf8.count <= self.bytes.count,
                    self.bytes[self.position..<(self.position + utf8.count)].elementsEqual(utf8)
                {
                    self.position += utf8.count
                    return index
                }
            }
            return nil
        }

        mutating func digits(_ count: Int) -> Int? {
            guard self.position + count <= self.bytes.count else { return nil }
            var value = 0
            for byte in self.bytes[self.position..<(self.position + count)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            self.position += count
            return value
        }

        /// `HH:MM:SS` with hour 0-23, minute 0-59, second 0-60 (leap second).
        mutating func timeOfDay() -> (Int, Int, Int)? {
            guard let hour = self.digits(2), hour < 24, self.literal(":"),
                let minute = self.digits(2), minute < 60, self.literal(":"),
                let second = self.digits(2), second <= 60
            else { return nil }
            return (hour, minute, second)
        }
    }
}
