import NIOCore
import TidegateCore

/// What `-v` and `-vv` print.
enum VersionInfo {
    static let version = ProcessInformation.version

    static var short: String {
        "Tidegate version \(version) - https://tidegate.invalid\nStatus: development"
    }

    static var long: String {
        var lines = [short, ""]
        lines.append("Build options :")
        #if DEBUG
        lines.append("  Build type: debug")
        #else
        lines.append("  Build type: release")
        #endif
        #if arch(x86_64)
        lines.append("  Architecture: x86_64")
        #elseif arch(arm64)
        lines.append("  Architecture: arm64")
        #endif
        lines.append("  Swift: 6 language mode, SwiftNIO event loops")
        lines.append("  Default nbthread: \(System.coreCount) (number of cores)")
        lines.append("")
        lines.append("Available multiplexer protocols :")
        lines.append("  h1 : mode=HTTP  side=FE|BE")
        lines.append("  <default> : mode=TCP  side=FE|BE")
        lines.append("")
        lines.append("Built with Lua version : Lua 5.4 (Debian liblua5.4; lua-load and lua-load-per-thread, see docs/lua-api.md)")
        return lines.joined(separator: "\n")
    }
}
