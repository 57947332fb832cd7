import TidegateConfig
import TidegateCore
import TidegateLua

/// The `core` functions over process-wide data: `get_var` (`proc.` variables) and `add_acl`, `del_acl`,
/// `set_map`, `del_map` (the pattern files the configuration loaded). What they change is seen at once by every
/// state and every event loop: ACLs, `map*` converters and `Map` objects using the file rebuild their index on
/// their next lookup.
public enum LuaProcessData {
    /// Adds the functions to `core`.
    /// - Parameters:
    ///   - variables: where `proc.` variables live (the proxy's `ProcessVariables.shared`).
    ///   - files: the configuration's pattern files; `baseDirectory` resolves relative names as the
    ///     configuration did.
    public static func install(
        into core: inout LuaModule, variables: ProcessVariables, files: MapFileCache, baseDirectory: String?,
        options: LuaAPIOptions
    ) {
        core.function("get_var", arguments: 1) { values in
            let name = try LuaArguments(values, function: "get_var").string(0)
            guard name.starts(with: Array("proc.".utf8)) else {
                throw LuaArgumentError(
                    message: "'get_var': Only 'proc.' scope allowed to be retrieved in 'core.get_var()'.")
            }
            guard case .success(let variable) = VariableName.parse(String(decoding: name, as: UTF8.self)),
                let value = variables.value(named: variable.name)
            else { return .values([.nil]) }
            return .values([value.luaValue(options: options)])
        }
        let resolver = PatternFiles(files: files, baseDirectory: baseDirectory)
        core.function("add_acl", arguments: 2) { values in
            let (references, key, _) = try resolver.arguments(values, function: "add_acl", kind: "acl")
            for reference in references { reference.add(key: key, onlyIfAbsent: true) }
            return .values([])
        }
        core.function("del_acl", arguments: 2) { values in
            let (references, key, _) = try resolver.arguments(values, function: "del_acl", kind: "acl")
            for reference in references { reference.delete(key: key) }
            return .values([])
        }
        core.function("set_map", arguments: 3) { values in
            let (references, key, value) = try resolver.arguments(values, function: "set_map", kind: "map")
            for reference in references { reference.set(key: key, value: value ?? "") }
            return .values([])
        }
        // "acl" in HAProxy's message for del_map too.
        core.function("del_map", arguments: 2) { values in
            let (references, key, _) = try resolver.arguments(values, function: "del_map", kind: "acl")
            for reference in references { reference.delete(key: key) }
            return .values([])
        }
    }

    /// Finds the pattern references a script names, as HAProxy's `pat_ref_lookup` (only files already loaded).
    private struct PatternFiles {
        let files: MapFileCache
        let baseDirectory: String?

        /// The references of `file` (argument 1), the key (2) and, for `set_map`, the value (3).
        func arguments(_ values: [LuaValue], function: String, kind: String) throws(LuaArgumentError)
            -> (references: [PatternReference], key: String, value: String?)
        {
            let arguments = LuaArguments(values, function: function)
            let name = String(decoding: try arguments.string(0).prefix { $0 != 0 }, as: UTF8.self)
            let key = String(decoding: try arguments.string(1).prefix { $0 != 0 }, as: UTF8.self)
            let value =
                values.count > 2 ? String(decoding: try arguments.string(2).prefix { $0 != 0 }, as: UTF8.self) : nil
            let references = files.loadedReferences(named: name, baseDirectory: baseDirectory)
            guard !references.isEmpty else {
                throw LuaArgumentError(message: "'\(function)': unknown \(kind) file '\(name)'")
            }
            return (references, key, value)
        }
    }
}
