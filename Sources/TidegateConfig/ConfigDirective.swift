/// One configuration line after lexing: its words (quotes removed, escapes and environment variables
/// resolved) and where it was written.
///
/// The parser keeps directives it does not interpret itself in this raw form: `http-check` and
/// `tcp-check` rules, and keywords registered by other modules in a ``ConfigExtensionRegistry``.
public struct ConfigDirective: Sendable, Hashable {
    /// All words of the line, the keyword included. Never empty for a parsed line.
    public var words: [String]
    /// Where the line is.
    public var location: ConfigLocation

    public init(words: [String], location: ConfigLocation) {
        self.words = words
        self.location = location
    }

    /// The first word.
    public var keyword: String { words.first ?? "" }

    /// The words after the keyword.
    public var arguments: ArraySlice<String> { words.dropFirst() }
}
