import CTidegateLua

// The flat encoding through which values cross between Swift and Lua (format in CTidegateLua.h). Swift never
// pushes or reads Lua values itself: the C side decodes/encodes them under `lua_pcall`, so an out-of-memory or
// conversion error is a status code, never a longjmp over Swift frames.
extension LuaValue {
    static func encode(_ values: [LuaValue]) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in values {
            value.encode(into: &bytes)
        }
        return bytes
    }

    private func encode(into bytes: inout [UInt8]) {
        switch self {
        case .nil:
            bytes.append(UInt8(TG_LUA_TAG_NIL))
        case .boolean(let value):
            bytes.append(UInt8(value ? TG_LUA_TAG_TRUE : TG_LUA_TAG_FALSE))
        case .integer(let value):
            bytes.append(UInt8(TG_LUA_TAG_INTEGER))
            withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        case .number(let value):
            bytes.append(UInt8(TG_LUA_TAG_FLOAT))
            withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        case .string(let value):
            bytes.append(UInt8(TG_LUA_TAG_STRING))
            withUnsafeBytes(of: UInt64(value.count)) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: value)
        case .table(let table):
            bytes.append(UInt8(TG_LUA_TAG_TABLE))
            withUnsafeBytes(of: UInt64(table.array.count)) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt64(table.hash.count)) { bytes.append(contentsOf: $0) }
            for value in table.array {
                value.encode(into: &bytes)
            }
            for (key, value) in table.hash {
                key.encode(into: &bytes)
                value.encode(into: &bytes)
            }
        }
    }

    /// Decodes what `tg_lua_encode` produced. The bytes come from our own C encoder, so a malformed input is a bug.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [LuaValue] {
        var reader = Reader(bytes: bytes)
        var values: [LuaValue] = []
        while reader.position < bytes.count {
            values.append(reader.value())
        }
        return values
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        mutating func take<T>(_: T.Type) -> T {
            precondition(self.position + MemoryLayout<T>.size <= self.bytes.count, "malformed Lua value encoding")
            let value = self.bytes.loadUnaligned(fromByteOffset: self.position, as: T.self)
            self.position += MemoryLayout<T>.size
            return value
        }

        mutating func value() -> LuaValue {
            let tag = Int(self.take(UInt8.self))
            switch tag {
            case Int(TG_LUA_TAG_NIL):
                return .nil
            case Int(TG_LUA_TAG_FALSE):
                return .boolean(false)
            case Int(TG_LUA_TAG_TRUE):
                return .boolean(true)
            case Int(TG_LUA_TAG_INTEGER):
                return .integer(self.take(Int64.self))
            case Int(TG_LUA_TAG_FLOAT):
                return .number(self.take(Double.self))
            case Int(TG_LUA_TAG_STRING):
                let length = Int(self.take(UInt64.self))
                precondition(self.position + length <= self.bytes.count, "malformed Lua value encoding")
                let string = Array(self.bytes[self.position..<(self.position + length)])
                self.position += length
                return .string(string)
            case Int(TG_LUA_TAG_TABLE):
                let arrayCount = Int(self.take(UInt64.self))
                let hashCount = Int(self.take(UInt64.self))
                var table = LuaTable()
                table.array.reserveCapacity(arrayCount)
                for _ in 0..<arrayCount {
                    table.array.append(self.value())
                }
                for _ in 0..<hashCount {
                    let key = self.value()
                    table.hash[key] = self.value()
                }
                return .table(table)
            default:
                preconditionFailure("malformed Lua value encoding (tag \(tag))")
            }
        }
    }
}
