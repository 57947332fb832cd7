/// `bind <addr>[,<addr>...] [params]`.
extension ConfigParser {
    static let bindParameters: [String] = [
        "name", "backlog", "maxconn", "mode", "uid", "gid", "user", "group", "v4v6", "v6only",
    ]

    /// TLS and PROXY-protocol bind parameters, with the number of values each takes.
    static let unsupportedBindParameters: [String: (values: Int, reason: String)] = [
        "accept-proxy": (0, "the PROXY protocol is not supported"),
        "ssl": (0, "TLS is not supported yet"),
        "crt": (1, "TLS is not supported yet"),
        "crt-list": (1, "TLS is not supported yet"),
        "ca-file": (1, "TLS is not supported yet"),
        "alpn": (1, "TLS is not supported yet"),
        "npn": (1, "TLS is not supported yet"),
        "verify": (1, "TLS is not supported yet"),
        "ciphers": (1, "TLS is not supported yet"),
        "ssl-min-ver": (1, "TLS is not supported yet"),
        "ssl-max-ver": (1, "TLS is not supported yet"),
        "strict-sni": (0, "TLS is not supported yet"),
    ]

    mutating func parseBind(_ directive: ConfigDirective, into draft: inout ProxyDraft) {
        let location = directive.location
        let words = Array(directive.arguments)
        guard let addressList = words.first, !addressList.isEmpty else {
            alert("'bind' expects at least one address.", at: location)
            return
        }
        var valid = true
        var addresses: [ConfigAddress] = []
        for text in addressList.split(separator: ",", omittingEmptySubsequences: false) {
            switch ConfigAddress.parse(String(text), usage: .bind) {
            case .success(let address): addresses.append(address)
            case .failure(let error):
                alert("'bind' : \(error.message).", at: location)
                valid = false
            }
        }
        var bind = BindConfiguration(addresses: addresses, location: location)
        var index = 1
        while index < words.count {
            let parameter = words[index]
            if let unsupported = Self.unsupportedBindParameters[parameter] {
                alert("'bind' : '\(parameter)' : \(unsupported.reason).", at: location)
                valid = false
                index += 1 + unsupported.values
                continue
            }
            switch parameter {
            case "v4v6":
                bind.acceptsIPv4OnIPv6 = true
                index += 1
                continue
            case "v6only":
                bind.acceptsIPv4OnIPv6 = false
                index += 1
                continue
            case "name", "backlog", "maxconn", "mode", "uid", "gid", "user", "group":
                break
            default:
                let ending = KeywordSuggestion.ending(for: parameter, in: Self.bindParameters)
                alert("'bind' : unknown keyword '\(parameter)'\(ending)", at: location)
                valid = false
                index += 1
                continue
            }
            guard let text = value(after: index, in: words, keyword: "bind", parameter: parameter, at: location) else {
                valid = false
                break
            }
            index += 2
            let keyword = "bind \(parameter)"
            switch parameter {
            case "name": bind.name = text
            case "user": bind.user = text
            case "group": bind.group = text
            case "backlog":
                if let value = integer(text, keyword: keyword, in: 1...Int(Int32.max), at: location) {
                    bind.backlog = value
                } else {
                    valid = false
                }
            case "maxconn":
                if let value = integer(text, keyword: keyword, at: location) {
                    bind.maxConnections = value
                } else {
                    valid = false
                }
            case "uid":
                if let value = integer(text, keyword: keyword, at: location) { bind.uid = value } else { valid = false }
            case "gid":
                if let value = integer(text, keyword: keyword, at: location) { bind.gid = value } else { valid = false }
            case "mode":
                if let value = ConfigValueParser.octalMode(text) {
                    bind.socketMode = value
                } else {
                    alert("'bind mode' : expects an octal permission mode, got '\(text)'.", at: location)
                    valid = false
                }
            default:
                break
            }
        }
        if valid { draft.config.binds.append(bind) }
    }
}
