import NIOCore
import SPOP
import TidegateCore
import TidegateLua

/// SPOP values as Lua sees them.
enum SPOALuaValues {
    /// A message's arguments as the handler's `args`: an array of `{name = ..., value = ...}` in message order.
    static func arguments(_ list: SPOPKVList) -> LuaValue {
        var array: [LuaValue] = []
        array.reserveCapacity(list.count)
        for item in list {
            var entry: [LuaValue: LuaValue] = ["name": .string(Array(item.name.readableBytesView))]
            let value = value(item.value)
            if value != .nil {
                entry["value"] = value
            }
            array.append(.table(LuaTable(hash: entry)))
        }
        return .table(LuaTable(array: array))
    }

    /// NULL → nil, BOOL → boolean, integers → integer (a UINT64 above the largest Lua integer → float),
    /// IPV4/IPV6 → text as `inet_ntop` writes it, STRING/BINARY → string (bytes as received).
    static func value(_ data: SPOPTypedData) -> LuaValue {
        switch data {
        case .null: .nil
        case .bool(let flag): .boolean(flag)
        case .int32(let v): .integer(Int64(v))
        case .uint32(let v): .integer(Int64(v))
        case .int64(let v): .integer(v)
        case .uint64(let v): Int64(exactly: v).map(LuaValue.integer) ?? .number(Double(v))
        case .ipv4(let address): LuaValue(IPv4Address(address.rawValue).description)
        case .ipv6(let address): LuaValue(IPv6Address(high: address.high, low: address.low).description)
        case .string(let bytes), .binary(let bytes): .string(Array(bytes.readableBytesView))
        }
    }
}
