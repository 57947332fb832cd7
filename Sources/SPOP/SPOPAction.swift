import NIOCore

/// The scope of a variable set or unset by an ACK action.
public enum SPOPVarScope: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case process = 0
    case session = 1
    case transaction = 2
    case request = 3
    case response = 4

    /// HAProxy's name for the scope (`proc`, `sess`, `txn`, `req`, `res`).
    public var name: String {
        switch self {
        case .process: return "proc"
        case .session: return "sess"
        case .transaction: return "txn"
        case .request: return "req"
        case .response: return "res"
        }
    }

    public var description: String { name }
}

/// One action of an ACK's LIST-OF-ACTIONS.
///
/// HAProxy names the variable `<scope>.<var-prefix>.<name>` in a 64-byte buffer: keep
/// scope + prefix + name within 61 bytes. A set-var with a NULL value unsets the variable.
public enum SPOPAction: Sendable, Hashable {
    /// `set-var`: action type 1, 3 arguments.
    case setVar(scope: SPOPVarScope, name: ByteBuffer, value: SPOPTypedData)
    /// `unset-var`: action type 2, 2 arguments.
    case unsetVar(scope: SPOPVarScope, name: ByteBuffer)

    /// Wire type of set-var.
    public static let setVarType: UInt8 = 1
    /// Wire type of unset-var.
    public static let unsetVarType: UInt8 = 2

    /// A set-var of the variable `name` (UTF-8).
    public init(set name: String, scope: SPOPVarScope, to value: SPOPTypedData) {
        self = .setVar(scope: scope, name: ByteBuffer(string: name), value: value)
    }

    /// An unset-var of the variable `name` (UTF-8).
    public init(unset name: String, scope: SPOPVarScope) {
        self = .unsetVar(scope: scope, name: ByteBuffer(string: name))
    }
}

/// The validated LIST-OF-ACTIONS of an ACK payload, decoded as it is iterated (what a client or a test
/// reads back from an agent).
public struct SPOPActionList: Sequence, Sendable, Hashable {
    /// The encoded actions.
    public let bytes: ByteBuffer
    /// The number of actions.
    public let count: Int

    /// Validates all of `payload`'s readable bytes as a list of actions. Unlike HAProxy, which stops
    /// silently at the first bad action, this rejects the whole list with `invalidAction`.
    public init(validating payload: ByteBuffer) throws(SPOPError) {
        count = try countSPOPItems(in: payload) { (scanner) throws(SPOPError) in try scanner.skipAction() }
        bytes = payload
    }

    static func readAction(_ buffer: inout ByteBuffer) throws(SPOPError) -> SPOPAction {
        guard let type = buffer.readInteger(as: UInt8.self), let argumentCount = buffer.readInteger(as: UInt8.self),
            let scopeByte = buffer.readInteger(as: UInt8.self)
        else { throw SPOPError(.truncatedData) }
        guard let scope = SPOPVarScope(rawValue: scopeByte) else { throw SPOPError(.invalidAction) }
        switch (type, argumentCount) {
        case (SPOPAction.setVarType, 3):
            let name = try buffer.readSPOPBytes()
            return .setVar(scope: scope, name: name, value: try buffer.readSPOPTypedData())
        case (SPOPAction.unsetVarType, 2):
            return .unsetVar(scope: scope, name: try buffer.readSPOPBytes())
        default:
            throw SPOPError(.invalidAction)
        }
    }

    public var underestimatedCount: Int { count }

    public func makeIterator() -> Iterator { Iterator(rest: bytes) }

    /// Decodes the actions one by one.
    public struct Iterator: IteratorProtocol {
        var rest: ByteBuffer

        public mutating func next() -> SPOPAction? {
            guard rest.readableBytes > 0 else { return nil }
            // Validated when the list was made: this read cannot fail.
            guard let action = try? SPOPActionList.readAction(&rest) else {
                rest.clear()
                return nil
            }
            return action
        }
    }
}

extension ByteBuffer {
    /// Writes one action.
    @discardableResult
    @inlinable
    public mutating func writeSPOPAction(_ action: SPOPAction) -> Int {
        switch action {
        case .setVar(let scope, let name, let value):
            return name.withUnsafeReadableBytes { writeSPOPSetVar(scope: scope, name: $0, value: value) }
        case .unsetVar(let scope, let name):
            return name.withUnsafeReadableBytes { writeSPOPUnsetVar(scope: scope, nameBytes: $0) }
        }
    }

    /// Writes a set-var action of `name` (UTF-8) to `value`.
    @discardableResult
    @inlinable
    public mutating func writeSPOPSetVar(scope: SPOPVarScope, name: String, value: SPOPTypedData) -> Int {
        withContiguousBytes(name.utf8) { writeSPOPSetVar(scope: scope, name: $0, value: value) }
    }

    /// Writes a set-var action of the variable named by `name`'s bytes to `value`.
    @discardableResult
    @inlinable
    public mutating func writeSPOPSetVar(
        scope: SPOPVarScope, name: some Collection<UInt8>, value: SPOPTypedData
    ) -> Int {
        withContiguousBytes(name) { writeSPOPSetVar(scope: scope, name: $0, value: value) }
    }

    @inlinable
    mutating func writeSPOPSetVar(scope: SPOPVarScope, name: UnsafeRawBufferPointer, value: SPOPTypedData) -> Int {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 3 + SPOPVarint.maxLength + name.count + value.encodedLength) {
            var out = SPOPWireWriter($0)
            out.byte(SPOPAction.setVarType)
            out.byte(3)
            out.byte(scope.rawValue)
            out.lengthPrefixed(name)
            out.typedData(value)
            return out.index
        }
    }

    /// Writes the start of a set-var action (type, argument count, scope, name); the value must follow,
    /// written with `writeSPOPTypedData`, `writeSPOPString` or `writeSPOPBinary`.
    @discardableResult
    @inlinable
    public mutating func writeSPOPSetVarPrefix(scope: SPOPVarScope, name: some Collection<UInt8>) -> Int {
        withContiguousBytes(name) { writeSPOPActionHeader(SPOPAction.setVarType, 3, scope: scope, name: $0) }
    }

    /// Writes an unset-var action of the variable named by `name`'s bytes.
    @discardableResult
    @inlinable
    public mutating func writeSPOPUnsetVar(scope: SPOPVarScope, name: some Collection<UInt8>) -> Int {
        withContiguousBytes(name) { writeSPOPUnsetVar(scope: scope, nameBytes: $0) }
    }

    /// Writes an unset-var action of `name` (UTF-8).
    @discardableResult
    @inlinable
    public mutating func writeSPOPUnsetVar(scope: SPOPVarScope, name: String) -> Int {
        writeSPOPUnsetVar(scope: scope, name: name.utf8)
    }

    @inlinable
    mutating func writeSPOPUnsetVar(scope: SPOPVarScope, nameBytes: UnsafeRawBufferPointer) -> Int {
        writeSPOPActionHeader(SPOPAction.unsetVarType, 2, scope: scope, name: nameBytes)
    }

    @inlinable
    mutating func writeSPOPActionHeader(
        _ type: UInt8, _ argumentCount: UInt8, scope: SPOPVarScope, name: UnsafeRawBufferPointer
    ) -> Int {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 3 + SPOPVarint.maxLength + name.count) {
            var out = SPOPWireWriter($0)
            out.byte(type)
            out.byte(argumentCount)
            out.byte(scope.rawValue)
            out.lengthPrefixed(name)
            return out.index
        }
    }
}
