import NIOCore
import TidegateConfig
import TidegateCore

/// The commands a runtime API connection understands, and how a request finds its command (the one whose words
/// begin the request, the longest if several do).
public struct CLICommandTable: Sendable {
    public private(set) var commands: [CLICommand]

    /// The table with `help`, `prompt` and `quit` only.
    public init() {
        commands = [
            CLICommand(words: ["help"], usage: nil, action: .help),
            CLICommand(words: ["prompt"], usage: nil, action: .prompt),
            CLICommand(words: ["quit"], usage: nil, action: .quit),
        ]
    }

    /// A command is already named by these words.
    public struct DuplicateCommand: Error, CustomStringConvertible {
        public let words: [String]
        public var description: String { "the runtime API command '\(CLICommandLine.display(words))' already exists" }
    }

    /// Adds `command`; throws when another command has the same words.
    public mutating func add(_ command: CLICommand) throws(DuplicateCommand) {
        guard !commands.contains(where: { $0.words == command.words }) else {
            throw DuplicateCommand(words: command.words)
        }
        commands.append(command)
    }

    /// The command `words` start with (the longest match), nil for an unknown command.
    public func command(for words: [String]) -> CLICommand? {
        commands.filter { words.starts(with: $0.words) }.max { $0.words.count < $1.words.count }
    }

    /// The answer of `help [<words>]` (`isHelp`) or to an unknown command `words`: the commands sharing the longest
    /// prefix with `words` (all of them when none does), by usage line, then `help`, `prompt` and `quit`.
    public func usage(for words: [String], isHelp: Bool) -> String {
        let length = commands.map { Self.commonPrefix($0.words, words) }.max() ?? 0
        var text: String
        if isHelp {
            text = "The following commands are valid at this level:\n"
        } else if length == 0 {
            text = "Unknown command: '\(CLICommandLine.display(words))'. "
                + "Please enter one of the following commands only:\n"
        } else {
            text = "Unknown command: '\(CLICommandLine.display(words))', "
                + "but maybe one of the following ones is a better match:\n"
        }
        let matching = commands.filter { Self.commonPrefix($0.words, words) == length }.compactMap(\.usage).sorted()
        for usage in matching { text += "  \(usage)\n" }
        text += "  " + CLICommand.usage("help [<command>]", "list every command, or those starting so") + "\n"
        text += "  " + CLICommand.usage("prompt", "toggle the interactive mode") + "\n"
        text += "  " + CLICommand.usage("quit", "close the connection") + "\n"
        return text
    }

    /// What a request resolves to.
    public enum Resolution {
        /// Send this answer (empty, or ending with a line feed).
        case answer(String)
        /// `prompt`.
        case togglePrompt
        /// `quit`.
        case quit
        /// Run this applet for the request.
        case applet(@Sendable (CLIRequest, any ServiceIO, any EventLoop) -> (any RunningService)?)
    }

    /// Finds the command of `request` and checks its level; answers the synchronous ones. An empty request has an
    /// empty answer.
    public func resolve(_ request: CLIRequest) -> Resolution {
        guard !request.words.isEmpty else { return .answer("") }
        guard let command = command(for: request.words) else {
            return .answer(usage(for: request.words, isHelp: false))
        }
        guard request.level >= command.level else { return .answer(Self.permissionDenied) }
        switch command.action {
        case .respond(let body):
            let text = body(request)
            return .answer(text.isEmpty || text.hasSuffix("\n") ? text : text + "\n")
        case .applet(let start): return .applet(start)
        case .help: return .answer(usage(for: Array(request.words.dropFirst()), isHelp: true))
        case .prompt: return .togglePrompt
        case .quit: return .quit
        }
    }

    private static func commonPrefix(_ a: [String], _ b: [String]) -> Int {
        zip(a, b).prefix { $0 == $1 }.count
    }

    /// HAProxy's answer to a command above the connection's level.
    public static let permissionDenied = "Permission denied\n"
}
