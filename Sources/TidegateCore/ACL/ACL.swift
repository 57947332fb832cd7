/// A named ACL: the tests of every `acl` line with that name, OR-ed together.
public struct ACL: Sendable {
    /// The ACL name.
    public let name: String
    /// The tests, in definition order.
    public internal(set) var expressions: [ACLExpression]

    public init(name: String, expressions: [ACLExpression]) {
        self.name = name
        self.expressions = expressions
    }

    /// Whether any of the tests matches.
    @inline(__always)
    public func matches(in context: SampleContext) -> Bool {
        var index = 0
        while index < expressions.count {
            if expressions[index].matches(in: context) { return true }
            index += 1
        }
        return false
    }

    /// What the tests need from the stream.
    public var requirements: SampleRequirements {
        expressions.reduce(into: []) { $0.formUnion($1.requirements) }
    }

    /// HAProxy's predefined ACLs, usable without an `acl` line.
    public static let predefined: [String: ACL] = {
        let definitions: [(String, [String])] = [
            ("TRUE", ["always_true"]),
            ("FALSE", ["always_false"]),
            ("HTTP", ["req.proto_http"]),
            ("HTTP_1.0", ["req.ver", "1.0"]),
            ("HTTP_1.1", ["req.ver", "1.1"]),
            ("HTTP_2.0", ["req.ver", "2.0"]),
            ("HTTP_CONTENT", ["req.hdr_val(content-length)", "gt", "0"]),
            ("HTTP_URL_ABS", ["url_reg", "^[^/:]*://"]),
            ("HTTP_URL_SLASH", ["url_beg", "/"]),
            ("HTTP_URL_STAR", ["url", "*"]),
            ("LOCALHOST", ["src", "127.0.0.1/8", "::1"]),
            ("METH_CONNECT", ["method", "CONNECT"]),
            ("METH_DELETE", ["method", "DELETE"]),
            ("METH_GET", ["method", "GET", "HEAD"]),
            ("METH_HEAD", ["method", "HEAD"]),
            ("METH_OPTIONS", ["method", "OPTIONS"]),
            ("METH_POST", ["method", "POST"]),
            ("METH_PUT", ["method", "PUT"]),
            ("METH_TRACE", ["method", "TRACE"]),
            ("REQ_CONTENT", ["req.len", "gt", "0"]),
            ("WAIT_END", ["wait_end"]),
        ]
        var table: [String: ACL] = [:]
        for (name, words) in definitions {
            // These are fixed, valid definitions; a failure here is a programming error.
            let expression = try! ACLExpression(words: words, environment: .standard)
            table[name] = ACL(name: name, expressions: [expression])
        }
        return table
    }()
}
