import Foundation

/// Loads HAProxy-syntax configuration files into a ``Configuration``.
///
/// ```swift
/// let result = ConfigLoader.load(paths: ["/etc/tidegate/tidegate.cfg", "/etc/tidegate/conf.d"],
///                                environment: ProcessInfo.processInfo.environment)
/// for diagnostic in result.diagnostics { print(diagnostic.formatted) }
/// guard let configuration = result.configuration else { exit(1) }
/// ```
///
/// Like HAProxy, every error is reported (not only the first) and a directory loads its `*.cfg` files
/// in lexical order. Files are parsed in order as one configuration: a defaults section applies to the
/// proxies of the following files too, but each file starts outside any section.
public enum ConfigLoader {
    /// Loads files and directories in order.
    ///
    /// - Parameters:
    ///   - paths: configuration files, or directories whose `*.cfg` files are loaded in lexical order.
    ///   - environment: the variables `"$VAR"` expands against.
    ///   - extensions: keywords and actions registered by other modules.
    public static func load(
        paths: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        extensions: ConfigExtensionRegistry = ConfigExtensionRegistry()
    ) -> ConfigLoadResult {
        var parser = ConfigParser(environment: environment, extensions: extensions)
        let fileManager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                parser.alert("Could not open configuration file \(path) : No such file or directory", at: nil)
                continue
            }
            let files: [String]
            if isDirectory.boolValue {
                guard let entries = try? fileManager.contentsOfDirectory(atPath: path) else {
                    parser.alert("Could not open configuration directory \(path) : Permission denied", at: nil)
                    continue
                }
                files =
                    entries
                    .filter { $0.hasSuffix(".cfg") && !$0.hasPrefix(".") }
                    .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                    .map { (path as NSString).appendingPathComponent($0) }
                    .filter { file in
                        var isSubdirectory: ObjCBool = false
                        return fileManager.fileExists(atPath: file, isDirectory: &isSubdirectory)
                            && !isSubdirectory.boolValue
                    }
            } else {
                files = [path]
            }
            for file in files {
                guard let data = fileManager.contents(atPath: file) else {
                    parser.alert("Could not open configuration file \(file) : Permission denied", at: nil)
                    continue
                }
                parser.parse(text: String(decoding: data, as: UTF8.self), file: file)
            }
        }
        return finish(&parser)
    }

    /// Parses configuration text, for tests and for configurations that do not come from files.
    /// Relative file names inside (error files, `return file`) are resolved as for a file named `file`.
    public static func parse(
        text: String,
        file: String = "<text>",
        environment: [String: String] = [:],
        extensions: ConfigExtensionRegistry = ConfigExtensionRegistry()
    ) -> ConfigLoadResult {
        var parser = ConfigParser(environment: environment, extensions: extensions)
        parser.parse(text: text, file: file)
        return finish(&parser)
    }

    private static func finish(_ parser: inout ConfigParser) -> ConfigLoadResult {
        let configuration = parser.finish()
        let diagnostics = parser.diagnostics
        let failed = diagnostics.contains { $0.severity == .alert }
        return ConfigLoadResult(configuration: failed ? nil : configuration, diagnostics: diagnostics)
    }
}
