import NIOCore
import SPOP
import TidegateCore
import TidegateLua

/// SPOP values as Lua sees them.
enum SPOALuaValues {
    /// A message's arguments as `name1, value1, name2, value2, ...` in message order, for the wrapper that
    /// builds the handler's `args` table (`{{name = ..., value = ...}, ...}`).
    static func flatArguments(_ list: SPOPKVList) -> [LuaValue] {
        var flat: [LuaValue] = []
        flat.reserveCapacity(2 * list.count)
        for item in list {
            flat.append(.string(Array(item.name.readableBytesView)))
            flat.append(value(item.value))
        }
        return flat
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
