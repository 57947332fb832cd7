/// Why a scalar value could not be parsed; the message does not name the keyword.
public struct ConfigValueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the value.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
