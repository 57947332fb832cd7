import TidegateConfig

/// The per-connection variable scopes `sess.`, `txn.`, `req.` and `res.` (the `proc.` scope lives
/// in `ProcessVariables`).
///
/// Owned by a `SampleContext`, confined to its event loop: no locking.
public struct VariableStore: Sendable {
    private var session: [String: Sample] = [:]
    private var transaction: [String: Sample] = [:]
    private var request: [String: Sample] = [:]
    private var response: [String: Sample] = [:]

    public init() {}

    /// The value of a variable in one of the per-connection scopes (nil for `proc.`).
    public func value(_ name: VariableName) -> Sample? {
        switch name.scope {
        case .process: nil
        case .session: session[name.name]
        case .transaction: transaction[name.name]
        case .request: request[name.name]
        case .response: response[name.name]
        }
    }

    /// Sets (or with nil removes) a variable in a per-connection scope; `proc.` is ignored here.
    public mutating func set(_ name: VariableName, to value: Sample?) {
        let stored = value?.detached()
        switch name.scope {
        case .process: break
        case .session: session[name.name] = stored
        case .transaction: transaction[name.name] = stored
        case .request: request[name.name] = stored
        case .response: response[name.name] = stored
        }
    }

    /// Empties the scopes that end with a transaction (`txn.`, `req.`, `res.`), keeping capacity.
    public mutating func endTransaction() {
        if !transaction.isEmpty { transaction.removeAll(keepingCapacity: true) }
        if !request.isEmpty { request.removeAll(keepingCapacity: true) }
        if !response.isEmpty { response.removeAll(keepingCapacity: true) }
    }

    /// Empties the request scope (when request processing ends).
    public mutating func endRequest() {
        if !request.isEmpty { request.removeAll(keepingCapacity: true) }
    }

    /// Empties every scope.
    public mutating func removeAll() {
        session.removeAll()
        endTransaction()
    }
}
