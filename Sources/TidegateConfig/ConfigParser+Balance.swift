/// `balance` and `hash-type`.
extension ConfigParser {
    static let balanceAlgorithms = [
        "roundrobin", "static-rr", "leastconn", "first", "source", "uri", "url_param", "hdr", "random",
    ]

    mutating func parseBalance(_ directive: ConfigDirective) -> BalanceAlgorithm? {
        let location = directive.location
        let words = Array(directive.arguments)
        guard let algorithm = words.first else {
            alert("'balance' expects an algorithm (\(Self.balanceAlgorithms.joined(separator: ", "))).", at: location)
            return nil
        }
        let options = Array(words.dropFirst())
        let keyword = "balance \(algorithm)"
        switch algorithm {
        case "roundrobin", "static-rr", "leastconn", "first", "source":
            guard expect(options[...], count: 0, keyword: keyword, at: location) else { return nil }
            switch algorithm {
            case "roundrobin": return .roundRobin
            case "static-rr": return .staticRoundRobin
            case "leastconn": return .leastConnections
            case "first": return .first
            default: return .source
            }
        case "uri":
            var uri = BalanceAlgorithm.URIOptions()
            var index = 0
            while index < options.count {
                switch options[index] {
                case "whole":
                    uri.whole = true
                    index += 1
                case "path-only":
                    uri.pathOnly = true
                    index += 1
                case "len", "depth":
                    let parameter = options[index]
                    guard
                        let text = value(
                            after: index,
                            in: options,
                            keyword: keyword,
                            parameter: parameter,
                            at: location
                        ),
                        let number = integer(
                            text,
                            keyword: "\(keyword) \(parameter)",
                            in: 1...Int(Int32.max),
                            at: location
                        )
                    else { return nil }
                    if parameter == "len" { uri.length = number } else { uri.depth = number }
                    index += 2
                default:
                    alert(
                        "'\(keyword)' : unexpected argument '\(options[index])' (expects 'whole', 'len', 'depth' or "
                            + "'path-only').",
                        at: location
                    )
                    return nil
                }
            }
            return .uri(uri)
        case "url_param":
            guard let parameter = options.first else {
                alert("'balance url_param' expects a parameter name.", at: location)
                return nil
            }
            let rest = options.dropFirst()
            if let extra = rest.first, extra != "check_post" || rest.count > 1 {
                alert(
                    "'balance url_param' : unexpected argument '\(extra)' (only 'check_post' is accepted).",
                    at: location
                )
                return nil
            }
            return .urlParameter(name: parameter, checkPost: !rest.isEmpty)
        default:
            break
        }
        if let name = Self.parenthesized(algorithm, prefix: "hdr") {
            guard !name.isEmpty else {
                alert("'balance hdr()' expects a header name between parentheses.", at: location)
                return nil
            }
            if let extra = options.first, extra != "use_domain_only" || options.count > 1 {
                alert(
                    "'balance hdr' : unexpected argument '\(extra)' (only 'use_domain_only' is accepted).",
                    at: location
                )
                return nil
            }
            return .header(name: name, useDomainOnly: !options.isEmpty)
        }
        if algorithm == "random" || algorithm.hasPrefix("random(") {
            guard expect(options[...], count: 0, keyword: "balance random", at: location) else { return nil }
            guard let draws = Self.parenthesized(algorithm, prefix: "random") else { return .random(draws: 2) }
            guard let count = integer(draws, keyword: "balance random", in: 1...Int(Int32.max), at: location) else {
                return nil
            }
            return .random(draws: count)
        }
        let ending = KeywordSuggestion.ending(for: algorithm, in: Self.balanceAlgorithms)
        alert("'balance' : unknown or unsupported algorithm '\(algorithm)'\(ending)", at: location)
        return nil
    }

    /// `prefix(<inside>)` → inside; nil when `text` does not have that shape.
    static func parenthesized(_ text: String, prefix: String) -> String? {
        guard text.hasPrefix(prefix + "("), text.hasSuffix(")") else { return nil }
        return String(text.dropFirst(prefix.count + 1).dropLast())
    }

    mutating func parseHashType(_ directive: ConfigDirective) -> HashType? {
        let location = directive.location
        let words = Array(directive.arguments)
        guard let methodText = words.first, let method = HashType.Method(rawValue: methodText) else {
            alert("'hash-type' expects 'map-based' or 'consistent' as its first argument.", at: location)
            return nil
        }
        // As HAProxy: `consistent` with no hash function also gets the avalanche modifier.
        var hashType = HashType(method: method, avalanche: method == .consistent && words.count == 1)
        var index = 1
        if index < words.count, let function = HashType.Function(rawValue: words[index]) {
            hashType.function = function
            index += 1
        }
        if index < words.count, words[index] == "avalanche" {
            hashType.avalanche = true
            index += 1
        }
        guard index == words.count else {
            let functions = HashType.Function.allCases.map(\.rawValue).joined(separator: ", ")
            alert(
                "'hash-type' : unexpected argument '\(words[index])' (expects a function among \(functions), then "
                    + "'avalanche').",
                at: location
            )
            return nil
        }
        return hashType
    }
}
