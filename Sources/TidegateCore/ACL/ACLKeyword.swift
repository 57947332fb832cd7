/// HAProxy's ACL-only keywords: a fetch with a preset match method (`path_beg` is `path -m beg`).
public struct ACLKeyword: Sendable, Hashable {
    /// The keyword, e.g. `path_beg`.
    public var name: String
    /// The fetch it reads, e.g. `path`.
    public var fetchName: String
    /// The match method it presets.
    public var method: PatternMatchMethod

    /// The built-in ACL keywords by name.
    public static let standard: [String: ACLKeyword] = {
        let bases: [(String, String)] = [
            ("path", "path"), ("url", "url"), ("base", "base"), ("hdr", "hdr"), ("shdr", "shdr"),
            ("cook", "req.cook"), ("scook", "res.cook"), ("urlp", "urlp"),
        ]
        let suffixes: [(String, PatternMatchMethod)] = [
            ("beg", .beg), ("dir", .dir), ("dom", .dom), ("end", .end), ("len", .len), ("reg", .reg), ("sub", .sub),
        ]
        var table: [String: ACLKeyword] = [:]
        for (prefix, fetch) in bases {
            for (suffix, method) in suffixes {
                let name = "\(prefix)_\(suffix)"
                table[name] = ACLKeyword(name: name, fetchName: fetch, method: method)
            }
        }
        return table
    }()
}
