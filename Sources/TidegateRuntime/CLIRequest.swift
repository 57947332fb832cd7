import TidegateConfig

/// One request of a runtime API connection, as a command receives it.
public struct CLIRequest: Sendable, Equatable {
    /// Every word, the command's own words first (`["set", "weight", "be/s1", "50%"]`).
    public var words: [String]
    /// The lines that followed a request ending with `<<`, joined with line feeds; nil without.
    public var payload: String?
    /// The privilege of the connection.
    public var level: CLIAccessLevel

    public init(words: [String], payload: String? = nil, level: CLIAccessLevel) {
        self.words = words
        self.payload = payload
        self.level = level
    }

    /// The word at `index`, nil past the last one.
    public subscript(index: Int) -> String? {
        index < words.count ? words[index] : nil
    }
}
