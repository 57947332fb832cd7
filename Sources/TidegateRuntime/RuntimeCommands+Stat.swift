import TidegateConfig
import TidegateCore

extension RuntimeCommands {
    /// `show stat`.
    static func statistics(_ environment: RuntimeAPIEnvironment) -> [CLICommand] {
        let catalog = environment.catalog
        return [
            CLICommand(
                words: ["show", "stat"],
                usage: CLICommand.usage(
                    "show stat [<px> <type> <sid>]", "statistics of the frontends, backends and servers"),
                action: .respond { request in showStat(request, catalog: catalog) })
        ]
    }

    /// Which lines `show stat` prints: `{<iid>|<proxy>} <type> <sid>` (`-1` for any; type 1 frontends, 2 backends,
    /// 4 servers, or their sum), `up` (servers that take traffic), `no-maint` (servers not in maintenance).
    struct StatFilter {
        var proxyID: Int?
        var types = 7
        var serverID: Int?
        var onlyUp = false
        var noMaintenance = false
    }

    static func showStat(_ request: CLIRequest, catalog: ProxyCatalog) -> String {
        var filter = StatFilter()
        var arguments = Array(request.words.dropFirst(2))
        for modifier in ["typed", "json"] where arguments.contains(modifier) {
            return "'show stat \(modifier)' is not supported by Tidegate.\n"
        }
        filter.onlyUp = arguments.contains("up")
        filter.noMaintenance = arguments.contains("no-maint")
        arguments.removeAll { ["up", "no-maint", "desc"].contains($0) }
        if arguments.count >= 3 {
            if arguments[0] != "-1" {
                if let id = Int(arguments[0]) {
                    filter.proxyID = id
                } else if let proxy = catalog.proxies.first(where: { $0.name == arguments[0] }) {
                    filter.proxyID = proxy.uuid
                } else {
                    return "No such proxy.\n"
                }
            }
            if let types = Int(arguments[1]), types != -1 { filter.types = types }
            if let id = Int(arguments[2]), id != -1 { filter.serverID = id }
        }
        var text = "# " + StatsLine.columns.joined(separator: ",") + ",\n"
        for line in statLines(catalog: catalog, filter: filter) {
            text += StatsLine.columns.map { csvField(line[$0]) }.joined(separator: ",") + ",\n"
        }
        return text
    }

    /// The lines of every section in configuration order: its frontend line, its servers, its backend line.
    static func statLines(catalog: ProxyCatalog, filter: StatFilter) -> [StatsLine] {
        let control = catalog.control
        var lines: [StatsLine] = []
        for descriptor in catalog.proxies where filter.proxyID == nil || filter.proxyID == descriptor.uuid {
            if descriptor.isFrontend, filter.types & 1 != 0, filter.serverID == nil {
                lines.append(.frontend(descriptor, control: control))
            }
            if let backend = descriptor.backend {
                if filter.types & 4 != 0 {
                    for server in backend.servers where filter.serverID == nil || filter.serverID == server.id {
                        if filter.onlyUp && !server.isUp { continue }
                        if filter.noMaintenance && server.isAdminDown { continue }
                        lines.append(.server(server, in: descriptor))
                    }
                }
                if filter.types & 2 != 0, filter.serverID == nil, let line = StatsLine.backend(descriptor) {
                    lines.append(line)
                }
            }
        }
        return lines
    }

    /// A CSV field: empty for an unknown value, quoted (quotes doubled) when the text is ambiguous.
    static func csvField(_ value: StatsValue?) -> String {
        guard let value else { return "" }
        let text = value.description
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.map { $0 == "\"" ? "\"\"" : String($0) }.joined() + "\""
    }
}
