/// The three HTTP rule lists and the actions each accepts.
enum HTTPRuleList: Sendable {
    case request
    case response
    case afterResponse

    var keyword: String {
        switch self {
        case .request: return "http-request"
        case .response: return "http-response"
        case .afterResponse: return "http-after-response"
        }
    }

    var registrySet: ConfigExtensionRegistry.RuleSets {
        switch self {
        case .request: return .httpRequest
        case .response: return .httpResponse
        case .afterResponse: return .httpAfterResponse
        }
    }

    /// The status `deny` uses when none is given.
    var defaultDenyStatus: Int { self == .request ? 403 : 502 }

    var actions: [String] {
        let common = [
            "set-header", "add-header", "del-header", "replace-header", "replace-value", "set-var", "set-var-fmt",
            "unset-var", "allow", "set-log-level",
        ]
        switch self {
        case .request:
            return common + [
                "set-path", "set-pathq", "set-query", "set-uri", "set-method", "deny", "return", "redirect", "capture",
                "use-service",
            ]
        case .response:
            return common + ["set-status", "deny", "return", "redirect", "capture"]
        case .afterResponse:
            return common + ["set-status"]
        }
    }

    static let allActions: Set<String> = Set(
        HTTPRuleList.request.actions + HTTPRuleList.response.actions + HTTPRuleList.afterResponse.actions
    )
}
