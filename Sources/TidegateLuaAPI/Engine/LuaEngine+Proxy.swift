import TidegateCore
import TidegateLua

extension LuaEngine {
    /// Adds the `lua.<name>` fetches and converters every state registered to `environment`.
    public func addSampleKeywords(to environment: inout SampleCompileEnvironment) {
        var fetchNames = Set<String>()
        var converterNames = Set<String>()
        for box in self.namingStates {
            fetchNames.formUnion(box.registrations.fetches.keys)
            converterNames.formUnion(box.registrations.converters.keys)
        }
        for name in fetchNames {
            environment.fetches.register(LuaSampleFunctions.fetch(name: name))
        }
        for name in converterNames {
            environment.converters.register(LuaSampleFunctions.converter(name: name))
        }
        environment.externalRules = self.ruleResolver
        // `txn.f:lua_name()` and `txn.c:lua_name()` reach the Lua keywords too.
        for box in self.allStates {
            box.withState { state in
                try? LuaTXNBindings.update(fetches: environment.fetches, converters: environment.converters, in: state)
            }
        }
    }

    /// The states whose registrations define the names (the per-thread states all load the same scripts).
    private var namingStates: [LuaStateBox] {
        (self.shared.map { [$0] } ?? []) + (self.perThread.first.map { [$0] } ?? [])
    }

    /// Resolves `lua.<name>` actions and services while rules are compiled.
    var ruleResolver: ExternalRuleResolver {
        ExternalRuleResolver(
            action: { [self] name, arguments, facility throws(SampleCompileError) in
                let bare = name.hasPrefix("lua.") ? String(name.dropFirst(4)) : name
                guard let (_, action) = self.box(for: bare, loop: 0, in: { $0.actions }) else {
                    throw SampleCompileError(.invalidArgument, "unknown Lua action 'lua.\(bare)'")
                }
                guard action.facilities.contains(facility) else {
                    throw SampleCompileError(
                        .invalidArgument,
                        "Lua action 'lua.\(bare)' is not registered for '\(facility.rawValue)' rules")
                }
                guard arguments.count >= action.argumentCount else {
                    throw SampleCompileError(
                        .invalidArgument,
                        "Lua action 'lua.\(bare)' expects \(action.argumentCount) argument(s), got \(arguments.count)")
                }
                let isHTTP = facility == .httpRequest || facility == .httpResponse || facility == .httpAfterResponse
                return LuaRuleAction(name: bare, arguments: Array(arguments.prefix(action.argumentCount)), isHTTP: isHTTP)
            },
            service: { [self] name throws(SampleCompileError) in
                let bare = name.hasPrefix("lua.") ? String(name.dropFirst(4)) : name
                guard let (_, service) = self.box(for: bare, loop: 0, in: { $0.services }) else {
                    throw SampleCompileError(.invalidArgument, "unknown Lua service 'lua.\(bare)'")
                }
                return LuaService(name: bare, mode: service.mode)
            })
    }
}
