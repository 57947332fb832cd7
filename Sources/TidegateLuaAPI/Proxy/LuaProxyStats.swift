import TidegateCore
import TidegateLua

/// The tables `get_stats()` returns: HAProxy's `show stat` fields by name, limited to what Tidegate counts (the same
/// lines as the runtime API's `show stat`, see `StatsLine`). A field HAProxy would leave empty (no `maxconn`...) is
/// absent, as HAProxy pushes nil for it.
enum LuaProxyStats {
    /// `Proxy:get_stats()`: the backend line for a backend or listen section (as HAProxy), else the frontend line.
    static func proxy(_ proxy: LuaProxy) -> LuaTable {
        table(StatsLine.proxy(proxy.descriptor, control: proxy.catalog.control))
    }

    /// `Server:get_stats()`.
    static func server(_ object: LuaServer) -> LuaTable {
        table(StatsLine.server(object.server, in: object.proxy))
    }

    /// `Listener:get_stats()`.
    static func listener(_ object: LuaListener) -> LuaTable {
        table(StatsLine.listener(object.listener, of: object.frontend, control: object.catalog.control))
    }

    private static func table(_ line: StatsLine) -> LuaTable {
        var table: [LuaValue: LuaValue] = [:]
        for (name, value) in line.fields { table[LuaValue(name)] = LuaValue(value) }
        return LuaTable(hash: table)
    }
}

extension LuaValue {
    /// A statistics or info value as HAProxy pushes it: an integer or a string.
    init(_ value: StatsValue) {
        switch value {
        case .integer(let number): self = .integer(Int64(number))
        case .string(let text): self = LuaValue(text)
        }
    }
}
