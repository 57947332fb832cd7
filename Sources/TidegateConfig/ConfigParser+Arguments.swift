/// Argument checks shared by all keyword parsers. Messages name the keyword the way HAProxy does:
/// `'timeout client' expects exactly 1 argument.` or `'maxconn' : expects an integer value, got 'x'.`
extension ConfigParser {
    static func plural(_ count: Int, _ word: String) -> String {
        count == 1 ? "\(count) \(word)" : "\(count) \(word)s"
    }

    /// Checks that `arguments` holds exactly `count` words.
    mutating func expect(
        _ arguments: ArraySlice<String>,
        count: Int,
        keyword: String,
        at location: ConfigLocation
    ) -> Bool {
        guard arguments.count != count else { return true }
        if count == 0 {
            alert("'\(keyword)' takes no argument (got '\(arguments.first!)').", at: location)
        } else {
            alert("'\(keyword)' expects exactly \(Self.plural(count, "argument")).", at: location)
        }
        return false
    }

    /// Checks that `arguments` holds between `range.lowerBound` and `range.upperBound` words.
    mutating func expect(
        _ arguments: ArraySlice<String>,
        countIn range: ClosedRange<Int>,
        keyword: String,
        at location: ConfigLocation
    ) -> Bool {
        guard !range.contains(arguments.count) else { return true }
        if arguments.count < range.lowerBound {
            alert("'\(keyword)' expects at least \(Self.plural(range.lowerBound, "argument")).", at: location)
        } else {
            alert("'\(keyword)' expects at most \(Self.plural(range.upperBound, "argument")).", at: location)
        }
        return false
    }

    /// Reports a value error as `'<keyword>' : <message>.`
    mutating func valueError(_ error: ConfigValueError, keyword: String, at location: ConfigLocation) {
        alert("'\(keyword)' : \(error.message).", at: location)
    }

    mutating func integer(
        _ text: String,
        keyword: String,
        in range: ClosedRange<Int> = 0...Int(Int32.max),
        at location: ConfigLocation
    ) -> Int? {
        switch ConfigValueParser.integer(text, in: range) {
        case .success(let value): return value
        case .failure(let error):
            valueError(error, keyword: keyword, at: location)
            return nil
        }
    }

    mutating func milliseconds(_ text: String, keyword: String, at location: ConfigLocation) -> Int? {
        switch ConfigValueParser.milliseconds(text) {
        case .success(let value): return value
        case .failure(let error):
            valueError(error, keyword: keyword, at: location)
            return nil
        }
    }

    mutating func size(
        _ text: String,
        keyword: String,
        in range: ClosedRange<Int> = 0...Int(Int32.max),
        at location: ConfigLocation
    ) -> Int? {
        switch ConfigValueParser.size(text, in: range) {
        case .success(let value): return value
        case .failure(let error):
            valueError(error, keyword: keyword, at: location)
            return nil
        }
    }

    /// Reads the value after a keyword inside a parameter list (`weight 10`), reporting a missing one.
    mutating func value(
        after index: Int,
        in words: [String],
        keyword: String,
        parameter: String,
        at location: ConfigLocation
    ) -> String? {
        guard index + 1 < words.count else {
            alert("'\(keyword)' : '\(parameter)' expects an argument.", at: location)
            return nil
        }
        return words[index + 1]
    }
}
