/// An `acl <name> <criterion> [flags] [operator] [<value>...]` line, not compiled yet.
///
/// Several lines with the same name form one ACL (their patterns are OR-ed) once compiled.
public struct ACLDefinition: Sendable, Hashable {
    /// The ACL name: letters, digits, `-`, `_`, `.` and `:`.
    public var name: String
    /// Everything after the name: the sample fetch, flags, operator and patterns.
    public var words: [String]
    /// The `acl` line.
    public var location: ConfigLocation

    public init(name: String, words: [String], location: ConfigLocation) {
        self.name = name
        self.words = words
        self.location = location
    }
}
