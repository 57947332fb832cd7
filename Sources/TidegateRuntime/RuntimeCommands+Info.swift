import TidegateConfig
import TidegateCore

extension RuntimeCommands {
    /// `show info`, `show cli level`.
    static func info(_ environment: RuntimeAPIEnvironment) -> [CLICommand] {
        let catalog = environment.catalog
        return [
            CLICommand(
                words: ["show", "info"],
                usage: CLICommand.usage("show info", "process information: version, uptime, connections"),
                action: .respond { request in
                    if let format = request[2], format == "typed" || format == "json" {
                        return "'show info \(format)' is not supported by Tidegate.\n"
                    }
                    let information = catalog.control?.processInformation ?? ProcessInformation(threads: 1)
                    return information.fields().map { "\($0.name): \($0.value)\n" }.joined()
                }),
            CLICommand(
                words: ["show", "cli", "level"],
                usage: CLICommand.usage("show cli level", "the level of this connection"),
                action: .respond { request in "\(request.level)\n" }),
        ]
    }
}
