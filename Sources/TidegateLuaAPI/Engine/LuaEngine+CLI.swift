import NIOCore
import TidegateCore
import TidegateLua

/// `core.register_cli` commands: what the runtime API adds to its command table, and how one runs.
extension LuaEngine {
    /// A runtime API command registered by a script.
    public struct CLICommand: Sendable, Equatable {
        /// The words that name it (1 to 5).
        public let words: [String]
        /// The line `help` shows for it.
        public let usage: String
    }

    /// The commands the scripts registered, the shared state's first, each in registration order (the per-thread
    /// states all load the same scripts).
    public var cliCommands: [CLICommand] {
        var seen = Set<[String]>()
        var commands: [CLICommand] = []
        for box in (self.shared.map { [$0] } ?? []) + (self.perThread.first.map { [$0] } ?? []) {
            for words in box.registrations.cliOrder where seen.insert(words).inserted {
                if let command = box.registrations.cliCommands[words] {
                    commands.append(CLICommand(words: words, usage: command.usage))
                }
            }
        }
        return commands
    }
}

extension LuaLoopRuntime {
    /// Runs the command registered for `words` as `fn(applet, arguments...)` on this loop (its own state for
    /// `lua-load-per-thread`, the shared state for `lua-load`): `arguments` are every word of the command line,
    /// the command's own words first, as HAProxy passes them. The `AppletTCP` object reads `io`'s input and writes
    /// the command's answer to it. A failure is logged, and answered as `Lua cli '<words.joined(".")>': <error>`.
    /// Returns nil when no script registered `words`. Call on the loop.
    public func startCLICommand(words: [String], arguments: [String], io: any ServiceIO) -> (any RunningService)? {
        guard let (box, command) = self.engine.box(for: words, loop: self.index, in: { $0.cliCommands }) else {
            return nil
        }
        let context = SampleContext(frontendName: "GLOBAL")
        context.scriptHost = self
        let state = self.transactionState(for: context, isHTTP: false, running: .service(.tcp))
        state.use(box)
        let applet = LuaApplet(io: io, mode: .tcp, transaction: state.transaction, eventLoop: self.eventLoop)
        let name = words.joined(separator: ".")
        let run = LuaAppletRun(applet: applet, runtime: self, kind: "cli", name: name)
        run.onFailure = { error in
            io.write(ByteBuffer(string: Self.failureMessage("cli", name, error, traceback: false) + "\n"))
        }
        run.onEnd = { state.end() }
        run.start(
            box: box, function: command.function, arguments: arguments.map { LuaValue($0) },
            timeout: self.engine.configuration.sessionTimeout)
        return run
    }
}
