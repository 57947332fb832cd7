/// A position in a configuration file: the file name as given to the loader and a 1-based line number.
///
/// Every diagnostic, rule, ACL, bind and server keeps one so that later stages (expression compilation,
/// runtime errors) can point back at the line that declared them.
public struct ConfigLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file path as it was passed to the loader, or the name given to
    /// ``ConfigLoader/parse(text:file:environment:extensions:)``.
    public var file: String
    /// The 1-based line number in ``file``.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// `file:line`, as HAProxy prints it.
    public var description: String { "\(file):\(line)" }
}
