/// HAProxy's ACL keywords: names that only exist in ACLs and stand for a fetch with a preset match
/// method (`path_beg` is `path -m beg`), plus the legacy names whose fetch differs in ACLs (the
/// `hdr*` ACL keywords always read the request, unlike the direction-dependent `hdr()` fetch).
public struct ACLKeyword: Sendable, Hashable {
    /// The keyword, e.g. `path_beg`.
    public var name: String
    /// The fetch it reads, e.g. `path`.
    public var fetchName: String
    /// The match method it presets; nil for the default of the fetch's output type.
    public var method: PatternMatchMethod?

    /// The built-in ACL keywords by name.
    public static let standard: [String: ACLKeyword] = {
        let bases: [(String, String)] = [
            ("path", "path"), ("url", "url"), ("base", "base"), ("hdr", "req.hdr"), ("shdr", "res.hdr"),
            ("cook", "req.cook"), ("scook", "res.cook"), ("urlp", "urlp"),
        ]
        let suffixes: [(String, PatternMatchMethod)] = [
            ("beg", .beg), ("dir", .dir), ("dom", .dom), ("end", .end), ("len", .len), ("reg", .reg), ("sub", .sub),
        ]
        var table: [String: ACLKeyword] = [:]
        for (prefix, fetch) in bases {
            table[prefix] = ACLKeyword(name: prefix, fetchName: fetch, method: nil)
            for (suffix, method) in suffixes {
                let name = "\(prefix)_\(suffix)"
                table[name] = ACLKeyword(name: name, fetchName: fetch, method: method)
            }
        }
        let aliases: [(String, String)] = [
            ("hdr_cnt", "req.hdr_cnt"), ("hdr_ip", "req.hdr_ip"), ("hdr_val", "req.hdr_val"),
            ("shdr_cnt", "res.hdr_cnt"), ("shdr_ip", "res.hdr_ip"), ("shdr_val", "res.hdr_val"),
            ("cook_cnt", "req.cook_cnt"), ("cook_val", "req.cook_val"), ("scook_cnt", "res.cook_cnt"),
            ("scook_val", "res.cook_val"), ("urlp_val", "urlp_val"),
        ]
        for (name, fetch) in aliases { table[name] = ACLKeyword(name: name, fetchName: fetch, method: nil) }
        return table
    }()
}
