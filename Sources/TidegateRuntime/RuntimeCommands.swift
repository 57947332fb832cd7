import TidegateConfig
import TidegateCore

/// HAProxy's runtime API commands that Tidegate implements, over a `RuntimeAPIEnvironment`. Each answers with
/// HAProxy's text, errors included; the level each needs is HAProxy's.
public enum RuntimeCommands {
    /// Every built-in command (`help`, `prompt` and `quit` are part of every `CLICommandTable`).
    public static func all(_ environment: RuntimeAPIEnvironment) -> [CLICommand] {
        info(environment) + statistics(environment) + servers(environment) + patterns(environment)
    }

    /// The table of the built-in commands.
    public static func table(_ environment: RuntimeAPIEnvironment) -> CLICommandTable {
        var table = CLICommandTable()
        for command in all(environment) { try? table.add(command) }
        return table
    }

    /// The words of every built-in command (a Lua command may not take them).
    public static let builtinWords: [[String]] = {
        let environment = RuntimeAPIEnvironment(catalog: ProxyCatalog(proxies: []), patternFiles: MapFileCache())
        return table(environment).commands.map(\.words)
    }()

    /// The server named by `argument` (`<backend>/<server>`, either part may be `#<id>`), or HAProxy's error.
    static func server(_ argument: String?, in catalog: ProxyCatalog) -> Result<(Backend, Server), CommandError> {
        guard let argument, let slash = argument.firstIndex(of: "/") else {
            return .failure(CommandError("Require 'backend/server'."))
        }
        guard let backend = catalog.backend(named: String(argument[..<slash]))?.backend else {
            return .failure(CommandError("No such backend."))
        }
        guard let server = backend.server(identifiedBy: String(argument[argument.index(after: slash)...])) else {
            return .failure(CommandError("No such server."))
        }
        return .success((backend, server))
    }

    /// An error answer.
    struct CommandError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
