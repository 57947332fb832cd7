import TidegateCore
import TidegateLuaAPI
import TidegateRuntime

/// The Lua `core.register_cli` commands as runtime API commands: each runs on the event loop of the connection that
/// sent it, in that loop's Lua state (or the shared one), with every word of the request as arguments. Any level
/// may run them (HAProxy checks none).
enum LuaCLICommands {
    static func add(_ engine: LuaEngine, to table: inout CLICommandTable, loops: LoopDirectory) {
        for command in engine.cliCommands {
            let words = command.words
            try? table.add(
                CLICommand(
                    words: words, usage: command.usage, level: .user,
                    action: .applet { request, io, eventLoop in
                        loops.context(for: eventLoop).lua?.startCLICommand(
                            words: words, arguments: request.words, io: io)
                    }))
        }
    }
}
