import NIOCore
import TidegateCore
import TidegateLua

/// The Swift object behind a Lua `Map` (`Map.new(file[, method])`): a map file loaded and indexed by TidegateCore,
/// as the `map_*` converters load it, with string values.
final class LuaMap {
    /// HAProxy's match method numbers (`src/pattern.c` `pat_match_names` order): the values of `Map._str`...
    static let methodNumbers: [(name: String, number: Int64)] = [
        ("found", 0), ("bool", 1), ("int", 2), ("ip", 3), ("bin", 4), ("len", 5), ("str", 6), ("beg", 7),
        ("sub", 8), ("dir", 9), ("dom", 10), ("end", 11), ("reg", 12), ("regm", 13),
    ]

    /// The methods `Map.new` accepts.
    static let supportedMethods: [Int64: PatternMatchMethod] = [
        2: .int, 3: .ip, 6: .str, 7: .beg, 8: .sub, 9: .dir, 10: .dom, 11: .end, 12: .reg,
    ]

    let matcher: MapMatcher

    init(matcher: MapMatcher) {
        self.matcher = matcher
    }

    /// `Map.new(file[, method])`.
    static func make(_ arguments: [LuaValue], options: LuaIOOptions) throws(LuaIOError) -> LuaMap {
        guard (1...2).contains(arguments.count) else { throw LuaIOError("'new' needs at least 1 argument.") }
        guard let fileBytes = LuaIOArgument.string(arguments[0]) else {
            throw LuaIOError.type(1, "new", expected: "string", got: arguments[0])
        }
        var number: Int64 = 6
        if arguments.count == 2 {
            guard let value = LuaIOArgument.integer(arguments[1]) else {
                throw LuaIOError.type(2, "new", expected: "number", got: arguments[1])
            }
            guard (0...13).contains(value) else { throw LuaIOError("'new' needs a valid match method.") }
            number = value
        }
        guard let method = self.supportedMethods[number] else {
            throw LuaIOError("'new' doesn't support this match mode.")
        }
        let path = SampleCompileEnvironment.resolve(
            String(decoding: fileBytes.prefix { $0 != 0 }, as: UTF8.self), against: options.mapBaseDirectory)
        do {
            return LuaMap(matcher: try options.mapFiles.matcher(path: path, method: method, output: .str))
        } catch {
            throw LuaIOError("'new': \(error.message).")
        }
    }

    /// `lookup(s)` (nil when absent) and `slookup(s)` (`""` when absent).
    func lookup(_ arguments: [LuaValue], orEmpty: Bool) throws(LuaIOError) -> LuaFunctionResult {
        guard arguments.count == 1 else { throw LuaIOError("'lookup' needs 2 arguments") }
        let function = orEmpty ? "slookup" : "lookup"
        let key: Sample
        if self.matcher.method == .int {
            guard let value = LuaIOArgument.integer(arguments[0]) else {
                throw LuaIOError.type(2, function, expected: "number", got: arguments[0])
            }
            key = .sint(value)
        } else {
            guard let bytes = LuaIOArgument.string(arguments[0]) else {
                throw LuaIOError.type(2, function, expected: "string", got: arguments[0])
            }
            key = .str(ByteBuffer(bytes: bytes))
        }
        guard let value = self.matcher.lookup(key) else {
            return .values([orEmpty ? "" : .nil])
        }
        if let buffer = value.buffer {
            return .values([.string(Array(buffer.readableBytesView))])
        }
        return .values([value.stringValue.map { LuaValue($0) } ?? (orEmpty ? "" : .nil)])
    }
}
