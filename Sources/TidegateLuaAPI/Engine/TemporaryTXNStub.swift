// Temporary stand-in for the TXN bindings being written on branch lua-txn; removed when that branch is merged.
import NIOCore
import TidegateCore
import TidegateLua

public enum LuaTXNBindings {
    static let txnClass = LuaClass<LuaTransaction>("TXN", methods: [])

    public static func register(
        in state: LuaState, fetches: SampleFetchRegistry, converters: SampleConverterRegistry,
        environment: SampleCompileEnvironment
    ) throws(LuaError) {
        try state.register(self.txnClass)
    }

    public static func txn(for transaction: LuaTransaction, in state: LuaState) throws(LuaError) -> LuaObjectHandle {
        if let handle = transaction.txnObjects[ObjectIdentifier(state)] { return handle }
        let handle = try state.makeObject(transaction, of: self.txnClass)
        transaction.objects.append((state, handle))
        transaction.txnObjects[ObjectIdentifier(state)] = handle
        return handle
    }
}

extension Sample {
    public func luaValue(options: LuaAPIOptions) -> LuaValue {
        switch self {
        case .bool(let value): options.booleanSamples ? .boolean(value) : .integer(value ? 1 : 0)
        case .sint(let value): .integer(value)
        default: self.stringValue.map { LuaValue($0) } ?? .nil
        }
    }
}

extension LuaValue {
    public var sample: Sample? {
        switch self {
        case .integer(let value): .sint(value)
        case .number(let value): .sint(Int64(exactly: value.rounded(.towardZero)) ?? 0)
        case .string(let bytes): .str(ByteBuffer(bytes: bytes))
        case .boolean(let value): .bool(value)
        default: nil
        }
    }
}
