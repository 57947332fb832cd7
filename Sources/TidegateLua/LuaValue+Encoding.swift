import CTidegateLua

// The flat encoding through which values cross between Swift and Lua (format in CTidegateLua.h). Swift never
// pushes or reads Lua values itself: the C side decodes/encodes them under `lua_pcall`, so an out-of-memory or
// conversion error is a status code, never a longjmp over Swift frames.
extension LuaValue {
    /// Encodes `values` for pushing into `state`. Functions of other states and invalidated objects become nil.
    static func encode(_ values: [LuaValue], for state: LuaState) -> [UInt8] {
        var bytes: [UInt8] = []
        self.encode(values, into: &bytes, for: state)
        return bytes
    }

    /// Appends the encoding of `values` to `bytes`.
    static func encode(_ values: [LuaValue], into bytes: inout [UInt8], for state: LuaState) {
        for value in values {
            value.encode(into: &bytes, state: state)
        }
    }

    /// nil, a boolean or a number: pushed without allocating in Lua.
    var isScalar: Bool {
        switch self {
        case .nil, .boolean, .integer, .number: true
        default: false
        }
    }

    private func encode(into bytes: inout [UInt8], state: LuaState) {
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
                value.encode(into: &bytes, state: state)
            }
            for (key, value) in table.hash {
                key.encode(into: &bytes, state: state)
                value.encode(into: &bytes, state: state)
            }
        case .function(let function):
            guard function.state === state else {
                bytes.append(UInt8(TG_LUA_TAG_NIL))
                return
            }
            bytes.append(UInt8(TG_LUA_TAG_FUNCTION))
            withUnsafeBytes(of: function.reference) { bytes.append(contentsOf: $0) }
        case .object(let handle):
            bytes.append(UInt8(TG_LUA_TAG_OBJECT))
            withUnsafeBytes(of: handle.id) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: state.objectTableReference(handle) ?? LUA_NOREF) { bytes.append(contentsOf: $0) }
        }
    }

    /// Decodes what `tg_lua_encode` produced. The bytes come from our own C encoder, so a malformed input is a bug.
    /// Takes ownership of the function references in it (released when the `LuaFunctionReference`s are).
    static func decode(_ bytes: UnsafeRawBufferPointer, count: Int = 0, state: LuaState) -> [LuaValue] {
        var reader = Reader(bytes: bytes, state: state)
        var values: [LuaValue] = []
        values.reserveCapacity(count)
        while reader.position < bytes.count {
            values.append(reader.value())
        }
        return values
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let state: LuaState
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
            case Int(TG_LUA_TAG_FUNCTION):
                return .function(LuaFunctionReference(state: self.state, reference: self.take(Int32.self)))
            case Int(TG_LUA_TAG_OBJECT):
                let id = self.take(UInt64.self)
                _ = self.take(Int32.self)
                return .object(LuaObjectHandle(state: self.state.identifier, id: id))
            default:
                preconditionFailure("malformed Lua value encoding (tag \(tag))")
            }
        }
    }
}
