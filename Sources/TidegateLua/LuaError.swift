/// An error of the Lua engine: a failed load, a script error, a limit hit.
///
/// Compare errors by `code`; `message` and `traceback` are for logs.
public struct LuaError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: match with `==`, not exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case runtime, memory, syntax, timeout, yieldNotAllowed, file
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A runtime error raised by the script or by a Swift function it called.
        public static let runtime = Code(.runtime)
        /// The state's memory limit was hit (`LUA_ERRMEM`).
        public static let memory = Code(.memory)
        /// The chunk did not compile.
        public static let syntax = Code(.syntax)
        /// The coroutine used up its CPU-time budget ("execution timeout").
        public static let timeout = Code(.timeout)
        /// A Swift function asked to yield where the coroutine cannot yield.
        public static let yieldNotAllowed = Code(.yieldNotAllowed)
        /// A script file could not be read.
        public static let file = Code(.file)

        public var description: String {
            switch self.base {
            case .runtime: "runtime"
            case .memory: "memory"
            case .syntax: "syntax"
            case .timeout: "timeout"
            case .yieldNotAllowed: "yieldNotAllowed"
            case .file: "file"
            }
        }
    }

    public var code: Code
    /// The error message, usually prefixed with `chunkname:line:`.
    public var message: String
    /// Lua's "stack traceback:" text of the failed coroutine, when there is one.
    public var traceback: String?

    public init(code: Code, message: String, traceback: String? = nil) {
        self.code = code
        self.message = message
        self.traceback = traceback
    }

    public var description: String {
        var text = "Lua \(self.code) error: \(self.message)"
        if let traceback = self.traceback {
            text += "\n" + traceback
        }
        return text
    }
}
