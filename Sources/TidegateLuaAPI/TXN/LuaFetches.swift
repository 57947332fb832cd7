import TidegateCore
import TidegateLua

/// The Swift side of a `Fetches` object (`txn.f`, `txn.sf`, an applet's `f`/`sf`).
///
/// Lua sees one method per fetch keyword (`txn.f:req_hdr("host")`): the class's `__index` (set by the prelude,
/// see `LuaTXNPrelude`) resolves a name through the runtime's live keyword table the first time it is used and
/// caches a small Lua closure calling the hidden `__call` method with the keyword's id.
public final class LuaFetches {
    let transaction: LuaTransaction
    let runtime: LuaTXNRuntime
    /// `sf`: results as strings, `""` when there is none.
    let stringsOnly: Bool
    /// False in applets: HTTP fetches raise (HAProxy's `HLUA_F_MAY_USE_HTTP`).
    let mayUseHTTP: Bool

    init(transaction: LuaTransaction, runtime: LuaTXNRuntime, stringsOnly: Bool, mayUseHTTP: Bool) {
        self.transaction = transaction
        self.runtime = runtime
        self.stringsOnly = stringsOnly
        self.mayUseHTTP = mayUseHTTP
    }

    static let luaClass = LuaClass<LuaFetches>(
        "Fetches",
        methods: [
            LuaMethod("__call", arguments: .atLeast(1)) { (fetches: LuaFetches, arguments) in
                guard case .integer(let id)? = arguments.first else { return .error("invalid fetch call") }
                return fetches.call(Int(id), arguments.dropFirst())
            }
        ])

    func call(_ id: Int, _ values: ArraySlice<LuaValue>) -> LuaFunctionResult {
        guard id >= 0, id < self.runtime.fetches.count else { return .error("invalid fetch call") }
        let keyword = self.runtime.fetches[id]
        if keyword.usesHTTP && !self.mayUseHTTP {
            let name = keyword.descriptor.name
            return .error("the sample-fetch '\(name)' needs an HTTP parser which is not available in Lua services")
        }
        let arguments: [SampleArgument]
        if let cached = keyword.arguments[values] {
            arguments = cached
        } else {
            let descriptor = keyword.descriptor
            do {
                let compiled = try LuaKeywordArguments.compile(
                    values, what: "fetch method '\(descriptor.name)'", minimum: descriptor.minimumArguments,
                    maximum: descriptor.maximumArguments, kinds: descriptor.argumentKinds,
                    custom: descriptor.compileArguments, environment: self.runtime.environment)
                arguments = compiled
                if keyword.arguments.count >= LuaTXNRuntime.cacheLimit {
                    keyword.arguments.removeAll(keepingCapacity: true)
                }
                keyword.arguments[values] = compiled
            } catch {
                return .error(error.message)
            }
        }
        let result = keyword.descriptor.fetch(self.transaction.samples, arguments)
        if self.stringsOnly {
            return .values([result?.luaString() ?? .string([])])
        }
        return .values([result?.luaValue(options: self.transaction.options) ?? .nil])
    }
}

/// The Swift side of a `Converters` object (`txn.c`, `txn.sc`): `txn.c:lower(s)` takes the input first.
public final class LuaConverters {
    let transaction: LuaTransaction
    let runtime: LuaTXNRuntime
    /// `sc`: results as strings, `""` when there is none.
    let stringsOnly: Bool

    init(transaction: LuaTransaction, runtime: LuaTXNRuntime, stringsOnly: Bool) {
        self.transaction = transaction
        self.runtime = runtime
        self.stringsOnly = stringsOnly
    }

    static let luaClass = LuaClass<LuaConverters>(
        "Converters",
        methods: [
            LuaMethod("__call", arguments: .atLeast(1)) { (converters: LuaConverters, arguments) in
                guard case .integer(let id)? = arguments.first else { return .error("invalid converter call") }
                return converters.call(Int(id), arguments.dropFirst())
            }
        ])

    func call(_ id: Int, _ values: ArraySlice<LuaValue>) -> LuaFunctionResult {
        guard id >= 0, id < self.runtime.converters.count else { return .error("invalid converter call") }
        let keyword = self.runtime.converters[id]
        let descriptor = keyword.descriptor
        let argumentValues = values.dropFirst()
        let arguments: [SampleArgument]
        if let cached = keyword.arguments[argumentValues] {
            arguments = cached
        } else {
            do {
                let compiled = try LuaKeywordArguments.compile(
                    argumentValues, what: "converter '\(descriptor.name)'",
                    minimum: descriptor.minimumArguments, maximum: descriptor.maximumArguments,
                    kinds: descriptor.argumentKinds,
                    custom: descriptor.compileArguments, environment: self.runtime.environment)
                arguments = compiled
                if keyword.arguments.count >= LuaTXNRuntime.cacheLimit {
                    keyword.arguments.removeAll(keepingCapacity: true)
                }
                keyword.arguments[argumentValues] = compiled
            } catch {
                return .error(error.message)
            }
        }
        // hlua_lua2smp: a missing input or a nil/table input is the boolean false.
        let input = (values.first ?? .nil).haproxySample
        guard input.type.canCast(to: descriptor.inputType) else {
            return .error("invalid input argument: cannot cast '\(input.type)' to '\(descriptor.inputType)'")
        }
        let noResult: LuaValue = self.stringsOnly ? .string([]) : .nil
        guard let cast = input.converted(to: descriptor.inputType),
            let output = descriptor.convert(cast, arguments, self.transaction.samples)
        else {
            return .values([noResult])
        }
        if self.stringsOnly {
            return .values([output.luaString() ?? noResult])
        }
        return .values([output.luaValue(options: self.transaction.options)])
    }
}

/// Fetch and converter arguments given from Lua (HAProxy's `hlua_lua2arg`): numbers and strings, as text for the
/// keyword's argument compiler; at most 12 (`ARGM_NBARGS`), later ones ignored as HAProxy does.
enum LuaKeywordArguments {
    static let maximumCount = 12

    static func compile(
        _ values: ArraySlice<LuaValue>, what: String, minimum: Int, maximum: Int, kinds: [SampleArgumentKind],
        custom: SampleFetchDescriptor.CompileArguments?, environment: SampleCompileEnvironment
    ) throws(LuaArgumentError) -> [SampleArgument] {
        var texts: [String] = []
        texts.reserveCapacity(min(values.count, self.maximumCount))
        for (index, value) in values.prefix(self.maximumCount).enumerated() {
            switch value {
            case .string(let bytes):
                texts.append(String(decoding: bytes, as: UTF8.self))
            case .integer(let number):
                texts.append(String(number))
            case .number(let number):
                texts.append(String(LuaArguments.exactInteger(number) ?? 0))
            case .boolean(let flag):
                texts.append(flag ? "1" : "0")
            default:
                throw LuaArgumentError(
                    message: "error in arguments: argument \(index + 1) is a \(LuaArguments.typeName(value)) value "
                        + "(string or number expected)")
            }
        }
        do {
            return try SampleExpression.compileArguments(
                texts, what: what, minimum: minimum, maximum: maximum, kinds: kinds, custom: custom,
                environment: environment)
        } catch {
            throw LuaArgumentError(message: "error in arguments: \(error.message)")
        }
    }
}
