import NIOCore
import TidegateConfig
import TidegateCore

/// A runtime API command: the words that name it, its line in `help`, the level it needs, and what it does.
public struct CLICommand: Sendable {
    /// What running the command does.
    public enum Action: Sendable {
        /// Answers at once with the returned text (HAProxy's commands).
        case respond(@Sendable (CLIRequest) -> String)
        /// Starts an applet on the connection's event loop that reads the rest of the input and writes the answer
        /// through `io` until it finishes it (Lua's `core.register_cli`). Returning nil answers that the command is
        /// not available.
        case applet(@Sendable (CLIRequest, any ServiceIO, any EventLoop) -> (any RunningService)?)
        /// `help [<command>]`.
        case help
        /// `prompt`: toggles the interactive mode.
        case prompt
        /// `quit`: closes the connection.
        case quit
    }

    /// The words that name the command (1 to 5); the request's first words.
    public let words: [String]
    /// The line `help` shows, nil for none.
    public let usage: String?
    /// The lowest level allowed to run it; below, the answer is "Permission denied".
    public let level: CLIAccessLevel
    public let action: Action

    public init(words: [String], usage: String?, level: CLIAccessLevel = .user, action: Action) {
        self.words = words
        self.usage = usage
        self.level = level
        self.action = action
    }

    /// A usage line in HAProxy's layout: the syntax in a 40-column field, then `: ` and the description.
    public static func usage(_ syntax: String, _ description: String) -> String {
        let padding = max(1, 40 - syntax.count)
        return syntax + String(repeating: " ", count: padding) + ": " + description
    }
}
