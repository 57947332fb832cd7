#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A map or pattern file loaded once at configuration time.
///
/// Map files hold `key value` lines (the key is the first word, the value the rest of the line
/// without trailing blanks);
/// pattern files (`acl ... -f`) hold one pattern per line. In both, leading blanks are skipped and
/// empty lines and lines starting with `#` are ignored, as HAProxy does.
public final class MapFile: Sendable {
    /// One line of the file.
    public struct Entry: Sendable, Hashable {
        public let key: String
        public let value: String
        /// 1-based line number in the file.
        public let line: Int
    }

    /// The path as given.
    public let path: String
    /// The lines, in file order.
    public let entries: [Entry]

    public init(path: String, entries: [Entry]) {
        self.path = path
        self.entries = entries
    }

    /// Reads `path` as a map (`asMap`: key and value) or as a pattern list (whole line as key).
    public static func load(path: String, asMap: Bool) throws(SampleCompileError) -> MapFile {
        guard let bytes = readFile(path) else {
            throw SampleCompileError(
                .file, "failed to open pattern file <\(path)>: \(String(cString: strerror(errno)))")
        }
        return MapFile(path: path, entries: parse(bytes, asMap: asMap))
    }

    /// Parses file contents.
    public static func parse(_ bytes: [UInt8], asMap: Bool) -> [Entry] {
        var entries: [Entry] = []
        var lineNumber = 0
        var i = 0
        while i < bytes.count {
            lineNumber += 1
            var end = i
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var lineEnd = end
            while lineEnd > i, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            var start = i
            while start < lineEnd, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            defer { i = end + 1 }
            if start == lineEnd || bytes[start] == UInt8(ascii: "#") { continue }
            if !asMap {
                entries.append(
                    Entry(key: String(decoding: bytes[start..<lineEnd], as: UTF8.self), value: "", line: lineNumber))
                continue
            }
            var keyEnd = start
            while keyEnd < lineEnd, bytes[keyEnd] != 0x20, bytes[keyEnd] != 0x09 { keyEnd += 1 }
            var valueStart = keyEnd
            while valueStart < lineEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            while lineEnd > valueStart, bytes[lineEnd - 1] == 0x20 || bytes[lineEnd - 1] == 0x09 { lineEnd -= 1 }
            entries.append(
                Entry(
                    key: String(decoding: bytes[start..<keyEnd], as: UTF8.self),
                    value: String(decoding: bytes[valueStart..<lineEnd], as: UTF8.self), line: lineNumber))
        }
        return entries
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let read = fread(&chunk, 1, chunk.count, file)
            if read > 0 { result.append(contentsOf: chunk[0..<read]) }
            if read < chunk.count { break }
        }
        if ferror(file) != 0 { return nil }
        return result
    }
}
