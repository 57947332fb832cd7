/// A variable reference `<scope>.<name>` as used by `set-var(...)`, `set-var-fmt(...)` and `unset-var(...)`.
public struct VariableName: Sendable, Hashable, CustomStringConvertible {
    /// The lifetime of a variable.
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        /// The whole process.
        case process = "proc"
        /// The client session (connection).
        case session = "sess"
        /// The transaction (one request/response).
        case transaction = "txn"
        /// The request only.
        case request = "req"
        /// The response only.
        case response = "res"
    }

    /// The scope.
    public var scope: Scope
    /// The name after the scope, possibly dotted itself (`txn.a.b` has name `a.b`).
    public var name: String

    public init(scope: Scope, name: String) {
        self.scope = scope
        self.name = name
    }

    /// Parses `scope.name`; the error message does not name the keyword.
    public static func parse(_ text: String) -> Result<VariableName, ConfigValueError> {
        guard let dot = text.firstIndex(of: ".") else {
            return .failure(
                ConfigValueError(
                    "invalid variable name '\(text)': expects '<scope>.<name>' with scope proc, sess, txn, req or res"
                )
            )
        }
        let scopeText = String(text[..<dot])
        let name = String(text[text.index(after: dot)...])
        guard let scope = Scope(rawValue: scopeText) else {
            return .failure(
                ConfigValueError(
                    "invalid variable scope '\(scopeText)' in '\(text)': expects proc, sess, txn, req or res"
                )
            )
        }
        guard !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") })
        else {
            return .failure(
                ConfigValueError("invalid variable name '\(text)': only letters, digits, '_' and '.' are allowed")
            )
        }
        return .success(VariableName(scope: scope, name: name))
    }

    public var description: String { "\(scope.rawValue).\(name)" }
}
