/// What an `http-request`, `http-response` or `http-after-response` rule does.
///
/// Arguments are validated (counts, status codes, variable scopes) but log-format strings, regexes and
/// sample expressions are kept as written for a later compilation step. Which actions each rule set
/// accepts follows HAProxy (e.g. `set-path` only in `http-request`, `set-status` only in responses).
public enum HTTPRuleAction: Sendable, Hashable {
    /// How `del-header -m` compares names.
    public enum HeaderMatch: String, Sendable, Hashable, CaseIterable {
        case exact = "str"
        case prefix = "beg"
        case suffix = "end"
        case substring = "sub"
        case regex = "reg"
    }

    /// The argument of `set-log-level`.
    public enum LogLevelSetting: Sendable, Hashable {
        /// `silent`: do not log this transaction.
        case silent
        case level(LogLevel)
    }

    /// A condition on `set-var(<var>,<cond>...)`: the assignment only happens when it holds.
    public enum VariableSetCondition: String, Sendable, Hashable, CaseIterable {
        case ifExists = "ifexists"
        case ifNotExists = "ifnotexists"
        case ifEmpty = "ifempty"
        case ifNotEmpty = "ifnotempty"
        case ifSet = "ifset"
        case ifNotSet = "ifnotset"
        case ifGreater = "ifgt"
        case ifLess = "iflt"
    }

    /// `set-header <name> <fmt>`.
    case setHeader(name: String, format: String)
    /// `add-header <name> <fmt>`.
    case addHeader(name: String, format: String)
    /// `del-header <name> [-m str|beg|end|sub|reg]`.
    case deleteHeader(name: String, match: HeaderMatch)
    /// `replace-header <name> <regex> <fmt>`: on the whole header line value.
    case replaceHeader(name: String, regex: String, format: String)
    /// `replace-value <name> <regex> <fmt>`: on each comma-separated value.
    case replaceValue(name: String, regex: String, format: String)
    /// `set-path <fmt>`.
    case setPath(String)
    /// `set-pathq <fmt>`: path and query string.
    case setPathQuery(String)
    /// `set-query <fmt>`.
    case setQuery(String)
    /// `set-uri <fmt>`.
    case setURI(String)
    /// `set-method <fmt>`.
    case setMethod(String)
    /// `set-status <code> [reason <str>]` (responses).
    case setStatus(code: Int, reason: String?)
    /// `set-var(<var>[,<cond>...]) <expr>`: the sample expression's words.
    case setVariable(VariableName, expression: [String], conditions: [VariableSetCondition])
    /// `set-var-fmt(<var>[,<cond>...]) <fmt>`.
    case setVariableFormat(VariableName, format: String, conditions: [VariableSetCondition])
    /// `unset-var(<var>)`.
    case unsetVariable(VariableName)
    /// `allow`: stop evaluating rules of this set.
    case allow
    /// `deny [deny_status <code>] [...]`: the response sent instead.
    case deny(HTTPReturnConfiguration)
    /// `return [status <code>] [...]`.
    case `return`(HTTPReturnConfiguration)
    /// `redirect location|prefix|scheme <value> [...]`.
    case redirect(HTTPRedirectConfiguration)
    /// `set-log-level <level>|silent`.
    case setLogLevel(LogLevelSetting)
    /// `capture <sample> len <n>` or `capture <sample> id <n>`: the sample expression's words.
    case capture(sample: [String], length: Int?, id: Int?)
    /// `use-service <name>`: hand the request to a registered service (e.g. `lua.hello`).
    case useService(name: String)
    /// An action registered by another module (e.g. `lua.auth`), with its arguments as written.
    case custom(name: String, arguments: [String])
}
