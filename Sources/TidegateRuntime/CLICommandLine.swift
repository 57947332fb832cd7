/// HAProxy's command-line syntax on the runtime API: a request ends at a line feed or at an unescaped `;`, its words
/// are separated by spaces or tabs, and a backslash makes the next character literal (`\;`, `\ `, `\\`).
public enum CLICommandLine {
    /// The words of one request (`set map f key val\;ue` → `["set", "map", "f", "key", "val;ue"]`).
    public static func words(_ request: some Collection<UInt8>) -> [String] {
        var words: [String] = []
        var word: [UInt8] = []
        var inWord = false
        var escaped = false
        for byte in request {
            if escaped {
                word.append(byte)
                escaped = false
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"):
                escaped = true
                inWord = true
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if inWord {
                    words.append(String(decoding: word, as: UTF8.self))
                    word.removeAll(keepingCapacity: true)
                    inWord = false
                }
            default:
                word.append(byte)
                inWord = true
            }
        }
        if inWord { words.append(String(decoding: word, as: UTF8.self)) }
        return words
    }

    /// Where the first request of `buffer` ends: the index of its terminator (an unescaped `;` or a line feed) and
    /// whether it is a line feed; nil when `buffer` holds no complete request yet.
    public static func requestEnd(in buffer: some Collection<UInt8>) -> (index: Int, isLineFeed: Bool)? {
        var escaped = false
        for (offset, byte) in buffer.enumerated() {
            if escaped {
                // A backslash escapes anything but the line feed, which always ends the line.
                escaped = false
                if byte != UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\\"): escaped = true
            case UInt8(ascii: ";"): return (offset, false)
            case UInt8(ascii: "\n"): return (offset, true)
            default: break
            }
        }
        return nil
    }

    /// Quotes words for a message (`Unknown command: 'show frobs'`): joined with spaces.
    static func display(_ words: [String]) -> String { words.joined(separator: " ") }
}
