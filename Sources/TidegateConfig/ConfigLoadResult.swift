/// What ``ConfigLoader`` returns: the configuration when there was no alert, and every diagnostic.
public struct ConfigLoadResult: Sendable {
    /// The configuration, or nil when at least one alert was reported.
    public var configuration: Configuration?
    /// All alerts and warnings, in the order they were found (file order, then resolution checks).
    public var diagnostics: [ConfigDiagnostic]

    public init(configuration: Configuration?, diagnostics: [ConfigDiagnostic]) {
        self.configuration = configuration
        self.diagnostics = diagnostics
    }

    /// The fatal diagnostics.
    public var alerts: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .alert } }

    /// The non-fatal diagnostics.
    public var warnings: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// True when the configuration is usable.
    public var isValid: Bool { configuration != nil }
}
