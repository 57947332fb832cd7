/// One problem found while loading a configuration, with HAProxy's two severities.
///
/// An ``Severity/alert`` makes the configuration unusable (``ConfigLoadResult/configuration`` is nil);
/// a ``Severity/warning`` is reported but the configuration is still produced.
public struct ConfigDiagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable, Hashable {
        /// A fatal error: the configuration is rejected.
        case alert = "ALERT"
        /// A problem that does not prevent the configuration from being used.
        case warning = "WARNING"
    }

    /// Whether this is fatal.
    public var severity: Severity
    /// Where the problem is, when it belongs to a line.
    public var location: ConfigLocation?
    /// The human readable message, without location.
    public var message: String

    public init(severity: Severity, location: ConfigLocation?, message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// A fatal diagnostic.
    public static func alert(_ message: String, at location: ConfigLocation?) -> ConfigDiagnostic {
        ConfigDiagnostic(severity: .alert, location: location, message: message)
    }

    /// A non-fatal diagnostic.
    public static func warning(_ message: String, at location: ConfigLocation?) -> ConfigDiagnostic {
        ConfigDiagnostic(severity: .warning, location: location, message: message)
    }

    /// `parsing [file:line] : message`, or only the message when there is no location.
    public var description: String {
        if let location {
            return "parsing [\(location)] : \(message)"
        }
        return message
    }

    /// The line `tidegate -c` prints: `[ALERT] parsing [file:line] : message`.
    public var formatted: String { "[\(severity.rawValue)] \(description)" }
}
