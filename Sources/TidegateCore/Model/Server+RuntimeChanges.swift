extension Server {
    /// HAProxy's `server_parse_weight_change_request`: `text` is an absolute weight (0...256) or a percentage of
    /// the configured weight (`"50%"`). Backends with a static algorithm (`dynamicWeights` false) only accept 0 and
    /// the configured weight. Returns HAProxy's error message (without its final newline), or nil once applied.
    public func changeWeight(_ text: String, dynamicWeights: Bool) -> String? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return "Require <weight> or <weight%>." }
        guard let (parsed, end) = Self.leadingInteger(bytes) else {
            return "Empty weight string empty or preceded by garbage"
        }
        var weight = parsed
        if end == bytes.count - 1, bytes[end] == UInt8(ascii: "%") {
            if weight < 0 { return "Relative weight must be positive." }
            weight = min(self.initialWeight * min(weight, 25_600) / 100, 256)
        } else if weight < 0 || weight > 256 {
            return "Absolute weight can only be between 0 and 256 inclusive."
        } else if end != bytes.count {
            return "Trailing garbage in weight string"
        }
        if weight != 0, weight != self.initialWeight, !dynamicWeights {
            return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'."
        }
        self.setWeight(weight)
        return nil
    }

    /// HAProxy's `server_parse_maxconn_change_request`: a decimal `maxconn`, 0 for no limit (a negative value is
    /// taken as 0). Returns HAProxy's error message, or nil once applied.
    public func changeMaxConnections(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return "Require <maxconn>." }
        guard let (value, end) = Self.leadingInteger(bytes) else {
            return "maxconn string empty or preceded by garbage"
        }
        if end != bytes.count { return "Trailing garbage in maxconn string" }
        self.setMaxConnections(value)
        return nil
    }

    /// `strtol(text, &end, 10)`: the value (clamped to `Int`) and the index where parsing stopped, or nil when no
    /// digit was read (`end == text`).
    static func leadingInteger(_ bytes: [UInt8]) -> (value: Int, end: Int)? {
        var index = 0
        while index < bytes.count, [9, 10, 11, 12, 13, 32].contains(bytes[index]) { index += 1 }
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        let digitsStart = index
        var value = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = product.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
            value = overflow || overflow2 ? Int.max : sum
            index += 1
        }
        guard index > digitsStart else { return nil }
        return (negative ? -value : value, index)
    }
}
