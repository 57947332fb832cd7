import Synchronization
import TidegateConfig
import TidegateCore
import TidegateLua

/// The per-state data of the TXN bindings: the keyword registries behind `Fetches`/`Converters` (with their
/// compiled-argument caches), the transaction currently running (for `act.wake_time`), and small parse caches.
/// Made by `LuaTXNBindings.register`; confined to the state's thread like the state itself.
public final class LuaTXNRuntime {
    /// The transaction whose Lua code runs now: set by the engine before each resume (`LuaTXNBindings.setCurrent`),
    /// read by `act.wake_time`.
    public var current: LuaTransaction?

    unowned(unsafe) let state: LuaState
    var environment: SampleCompileEnvironment
    /// Fetches by id (the id is what the Lua method closures carry); ids are stable across registry updates.
    var fetches: [FetchKeyword] = []
    /// Method name (`req_hdr`) and keyword name (`req.hdr`) → id.
    var fetchIDs: [String: Int] = [:]
    var converters: [ConverterKeyword] = []
    var converterIDs: [String: Int] = [:]
    /// `txn.x` → parsed name (nil: invalid), bounded.
    var variableNames: [[UInt8]: VariableName?] = [:]
    /// `rep_header` patterns, bounded.
    var regexes: [[UInt8]: CompiledRegex] = [:]
    /// Upper bound of every cache (entries per keyword for argument caches).
    static let cacheLimit = 256

    init(
        state: LuaState, fetches: SampleFetchRegistry, converters: SampleConverterRegistry,
        environment: SampleCompileEnvironment
    ) {
        self.state = state
        self.environment = environment
        self.update(fetches: fetches, converters: converters)
    }

    /// Adds the keywords of the registries (replacing those already known by name; ids stay stable).
    func update(fetches: SampleFetchRegistry, converters: SampleConverterRegistry) {
        self.environment.fetches = fetches
        self.environment.converters = converters
        for name in fetches.names {
            guard let descriptor = fetches.descriptor(named: name) else { continue }
            if let id = self.fetchIDs[name] {
                self.fetches[id] = FetchKeyword(descriptor)
            } else {
                let id = self.fetches.count
                self.fetches.append(FetchKeyword(descriptor))
                self.fetchIDs[name] = id
                self.fetchIDs[LuaTXNRuntime.methodName(name)] = id
            }
        }
        for name in converters.names {
            guard let descriptor = converters.descriptor(named: name) else { continue }
            if let id = self.converterIDs[name] {
                self.converters[id] = ConverterKeyword(descriptor)
            } else {
                let id = self.converters.count
                self.converters.append(ConverterKeyword(descriptor))
                self.converterIDs[name] = id
                self.converterIDs[LuaTXNRuntime.methodName(name)] = id
            }
        }
    }

    /// HAProxy's method name of a keyword: `.`, `-` and `+` become `_`.
    static func methodName(_ keyword: String) -> String {
        String(keyword.map { $0 == "." || $0 == "-" || $0 == "+" ? "_" : $0 })
    }

    /// `scope.name` of a Lua string, cached (nil when invalid).
    func variableName(_ bytes: [UInt8]) -> VariableName? {
        if let cached = self.variableNames[bytes] { return cached }
        let parsed: VariableName?
        switch VariableName.parse(String(decoding: bytes, as: UTF8.self)) {
        case .success(let name): parsed = name
        case .failure: parsed = nil
        }
        if self.variableNames.count >= LuaTXNRuntime.cacheLimit { self.variableNames.removeAll(keepingCapacity: true) }
        self.variableNames[bytes] = parsed
        return parsed
    }

    /// A case-sensitive regex (HAProxy's `regex_comp(reg, 1, 1)`), cached.
    func regex(_ bytes: [UInt8]) -> CompiledRegex? {
        if let cached = self.regexes[bytes] { return cached }
        guard let regex = try? CompiledRegex(String(decoding: bytes, as: UTF8.self)) else { return nil }
        if self.regexes.count >= LuaTXNRuntime.cacheLimit { self.regexes.removeAll(keepingCapacity: true) }
        self.regexes[bytes] = regex
        return regex
    }

    // MARK: Finding the runtime of a state

    private struct Entry: @unchecked Sendable {
        weak var runtime: LuaTXNRuntime?
    }

    private static let runtimes = Mutex<[ObjectIdentifier: Entry]>([:])

    static func install(_ runtime: LuaTXNRuntime, for state: LuaState) {
        let key = ObjectIdentifier(state)
        runtimes.withLock { table in
            table = table.filter { $0.value.runtime != nil }
            table[key] = Entry(runtime: runtime)
        }
    }

    /// The runtime `register` made for `state`.
    static func of(_ state: LuaState) throws(LuaError) -> LuaTXNRuntime {
        let key = ObjectIdentifier(state)
        guard let runtime = runtimes.withLock({ $0[key]?.runtime }), runtime.state === state else {
            throw LuaError(code: .runtime, message: "the TXN classes are not registered in this Lua state")
        }
        return runtime
    }
}

/// A fetch keyword with its compiled-argument cache (argument values as Lua gave them → compiled arguments).
final class FetchKeyword {
    let descriptor: SampleFetchDescriptor
    var arguments: [ArraySlice<LuaValue>: [SampleArgument]] = [:]
    let usesHTTP: Bool

    init(_ descriptor: SampleFetchDescriptor) {
        self.descriptor = descriptor
        self.usesHTTP = !descriptor.requirements.isDisjoint(with: [.httpRequest, .httpResponse, .httpCurrent])
    }
}

/// A converter keyword with its compiled-argument cache.
final class ConverterKeyword {
    let descriptor: SampleConverterDescriptor
    var arguments: [ArraySlice<LuaValue>: [SampleArgument]] = [:]

    init(_ descriptor: SampleConverterDescriptor) {
        self.descriptor = descriptor
    }
}
