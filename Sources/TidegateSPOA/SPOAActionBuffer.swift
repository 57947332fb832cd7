import NIOCore
import SPOP

/// The actions handlers of one NOTIFY asked for, already encoded in the ACK's LIST-OF-ACTIONS format, in the
/// order they were set. Shared by the script engines (`spoa.set_var_*` write here) and the job that writes the
/// ACK. Confined to the worker's event loop.
public final class SPOAActionBuffer {
    /// The encoded actions.
    public private(set) var bytes: ByteBuffer
    /// How many actions `bytes` holds.
    public private(set) var count = 0

    public init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        bytes = allocator.buffer(capacity: 128)
    }

    /// Adds a set-var action. A NULL value unsets the variable on HAProxy's side.
    public func setVar(scope: SPOPVarScope, name: some Collection<UInt8>, value: SPOPTypedData) {
        bytes.writeSPOPSetVar(scope: scope, name: name, value: value)
        count += 1
    }

    /// Adds an unset-var action.
    public func unsetVar(scope: SPOPVarScope, name: some Collection<UInt8>) {
        bytes.writeSPOPUnsetVar(scope: scope, name: name)
        count += 1
    }

    /// Adds `count` actions already encoded (by a handler thread).
    public func append(encoded: ByteBuffer, count: Int) {
        bytes.writeImmutableBuffer(encoded)
        self.count += count
    }

    /// Drops every action (a handler failed: the ACK goes out empty).
    public func removeAll() {
        bytes.clear()
        count = 0
    }

    /// The actions decoded (for logs and tests).
    public var actions: [SPOPAction] {
        (try? SPOPActionList(validating: bytes)).map(Array.init) ?? []
    }
}
