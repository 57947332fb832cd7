import TidegateCore
import TidegateLua

/// What the scripts of one state registered with `core.register_*`.
final class LuaRegistrations {
    struct Action {
        let function: LuaFunction
        let facilities: Set<RuleFacility>
        let argumentCount: Int
    }

    struct Service {
        let function: LuaFunction
        let mode: ServiceMode
    }

    struct Task {
        let function: LuaFunction
        let arguments: [LuaValue]
    }

    /// A `core.register_cli` command: its words (1 to 5) and the usage line `help` shows.
    struct CLICommand {
        let words: [String]
        let usage: String
        let function: LuaFunction
    }

    var actions: [String: Action] = [:]
    var fetches: [String: LuaFunction] = [:]
    var converters: [String: LuaFunction] = [:]
    var services: [String: Service] = [:]
    var initFunctions: [LuaFunction] = []
    var tasks: [Task] = []
    /// Runtime API commands by their words, and the words in registration order.
    var cliCommands: [[String]: CLICommand] = [:]
    var cliOrder: [[String]] = []
    /// Warnings for the configuration check (a name registered twice...).
    var warnings: [String] = []
    /// While the script bodies run: registrations are only allowed then (tasks also at runtime).
    var loading = true
    /// Starts a task registered at runtime (set by the engine once the loops run).
    var startRuntimeTask: ((Task) -> Void)?

    /// Adds `core.register_action`, `register_fetches`, `register_converters`, `register_service`,
    /// `register_init`, `register_task` and `register_cli` to `core`.
    func install(into core: inout LuaModule) {
        core.function("register_action", arguments: .between(3...4)) { [unowned self] values in
            let name = try Self.name(values, "register_action")
            guard case .table(let list) = values[1] else {
                return .error("register_action: argument 2 must be a table of action names")
            }
            guard case .function(let function) = values[2] else {
                return .error("register_action: argument 3 must be a function")
            }
            var facilities = Set<RuleFacility>()
            for value in list.array {
                guard let word = value.stringValue, let facility = RuleFacility(rawValue: word) else {
                    return .error(
                        "register_action: unknown action type '\(value.stringValue ?? "?")' "
                            + "(expects tcp-req, tcp-res, http-req, http-res or http-after-res)")
                }
                facilities.insert(facility)
            }
            var count = 0
            if values.count == 4 {
                guard case .integer(let number) = values[3], number >= 0 else {
                    return .error("register_action: argument 4 (nb_args) must be a non-negative integer")
                }
                count = Int(number)
            }
            try self.checkLoading("register_action")
            self.note(self.actions[name] != nil, "action", name)
            self.actions[name] = Action(function: function, facilities: facilities, argumentCount: count)
            return .values([])
        }
        core.function("register_fetches", arguments: 2) { [unowned self] values in
            let name = try Self.name(values, "register_fetches")
            guard case .function(let function) = values[1] else {
                return .error("register_fetches: argument 2 must be a function")
            }
            try self.checkLoading("register_fetches")
            self.note(self.fetches[name] != nil, "sample-fetch", name)
            self.fetches[name] = function
            return .values([])
        }
        core.function("register_converters", arguments: 2) { [unowned self] values in
            let name = try Self.name(values, "register_converters")
            guard case .function(let function) = values[1] else {
                return .error("register_converters: argument 2 must be a function")
            }
            try self.checkLoading("register_converters")
            self.note(self.converters[name] != nil, "converter", name)
            self.converters[name] = function
            return .values([])
        }
        core.function("register_service", arguments: 3) { [unowned self] values in
            let name = try Self.name(values, "register_service")
            guard let modeName = values[1].stringValue, let mode = ServiceMode(rawValue: modeName) else {
                return .error("register_service: Lua service '\(name)' expects 'tcp' or 'http' as environment")
            }
            guard case .function(let function) = values[2] else {
                return .error("register_service: argument 3 must be a function")
            }
            try self.checkLoading("register_service")
            self.note(self.services[name] != nil, "service", name)
            self.services[name] = Service(function: function, mode: mode)
            return .values([])
        }
        core.function("register_init", arguments: 1) { [unowned self] values in
            guard case .function(let function) = values[0] else {
                return .error("register_init: argument 1 must be a function")
            }
            try self.checkLoading("register_init")
            self.initFunctions.append(function)
            return .values([])
        }
        core.function("register_task", arguments: .between(1...5)) { [unowned self] values in
            guard case .function(let function) = values[0] else {
                return .error("register_task: argument 1 must be a function")
            }
            let task = Task(function: function, arguments: Array(values.dropFirst()))
            if self.loading {
                self.tasks.append(task)
            } else if let start = self.startRuntimeTask {
                start(task)
            } else {
                return .error("register_task: tasks cannot be started here")
            }
            return .values([])
        }
        core.function("register_cli", arguments: 3) { [unowned self] values in
            let command = try Self.cliCommand(values)
            try self.checkLoading("register_cli")
            if self.cliCommands[command.words] == nil {
                self.cliOrder.append(command.words)
            } else {
                self.note(true, "cli", command.words.joined(separator: "."))
            }
            self.cliCommands[command.words] = command
            return .values([])
        }
    }

    /// `core.register_cli(words, usage, fn)` with HAProxy's checks: a table of 1 to 5 strings, a string, a function.
    private static func cliCommand(_ values: [LuaValue]) throws(LuaArgumentError) -> CLICommand {
        let arguments = LuaArguments(values, function: "register_cli")
        let function = arguments.function
        guard case .table(let list) = values[0] else { throw arguments.typeError(0, expected: "table") }
        let usage = String(decoding: try arguments.string(1), as: UTF8.self)
        guard case .function(let body) = values[2] else { throw arguments.typeError(2, expected: "function") }
        let words = list.array.compactMap(\.stringValue)
        guard list.hash.isEmpty, !words.isEmpty, words.count == list.array.count, !words.contains(where: \.isEmpty)
        else {
            throw .bad(1, function, "1st argument must be a table filled with non-empty strings")
        }
        guard words.count <= 5 else {
            throw .bad(1, function, "1st argument must be a table with a maximum of 5 entries")
        }
        return CLICommand(words: words, usage: usage, function: body)
    }

    private func checkLoading(_ function: String) throws(LuaRegistrationError) {
        guard self.loading else {
            throw LuaRegistrationError(message: "\(function): only allowed in the body of a script")
        }
    }

    private func note(_ duplicate: Bool, _ kind: String, _ name: String) {
        if duplicate {
            self.warnings.append("Lua \(kind) 'lua.\(name)' is registered twice: the last one wins")
        }
    }

    private static func name(_ values: [LuaValue], _ function: String) throws(LuaRegistrationError) -> String {
        guard let name = values.first?.stringValue, !name.isEmpty else {
            throw LuaRegistrationError(message: "\(function): argument 1 must be a non-empty name")
        }
        return name
    }
}

struct LuaRegistrationError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}
