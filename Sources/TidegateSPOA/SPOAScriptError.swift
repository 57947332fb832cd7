/// A script that could not be loaded.
public struct SPOAScriptError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}
