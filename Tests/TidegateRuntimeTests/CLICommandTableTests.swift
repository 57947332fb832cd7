import NIOCore
import TidegateConfig
import TidegateCore
import Testing

@testable import TidegateRuntime

/// Finding a request's command, level checks, and HAProxy's answers to unknown commands and `help`.
@Suite struct CLICommandTableTests {
    @Test func adminCommandsAreRefusedBelowAdmin() throws {
        let fixture = try RuntimeFixture()
        for line in [
            "set weight be/s1 5", "set server be/s1 state maint", "disable server be/s1", "enable server be/s1",
            "set maxconn server be/s1 3",
        ] {
            #expect(fixture.answer(line, level: .user) == "Permission denied\n", "\(line)")
            #expect(fixture.answer(line, level: .operator) == "Permission denied\n", "\(line)")
        }
        #expect(fixture.server("s1").weight == 10, "nothing changed")
        #expect(!fixture.server("s1").isAdminDown)
        #expect(fixture.answer("set weight be/s1 5", level: .admin) == "")
        #expect(fixture.server("s1").weight == 5)
    }

    @Test func mapChangesNeedOperatorAndReadsNeedUser() throws {
        let fixture = try RuntimeFixture()
        let map = fixture.directory + "/hosts.map"
        #expect(fixture.answer("add map \(map) c.example three", level: .user) == "Permission denied\n")
        #expect(fixture.answer("del acl \(fixture.directory)/block.lst /secret", level: .user) == "Permission denied\n")
        #expect(fixture.answer("clear map \(map)", level: .user) == "Permission denied\n")
        #expect(fixture.answer("add map \(map) c.example three", level: .operator) == "")
        #expect(fixture.answer("show map \(map)", level: .user).contains("c.example three"))
        #expect(fixture.answer("show info", level: .user).hasPrefix("Name: Tidegate\n"))
        #expect(fixture.answer("get weight be/s1", level: .user) == "10 (initial 10)\n")
        #expect(fixture.answer("show cli level", level: .user) == "user\n")
        #expect(fixture.answer("show cli level", level: .operator) == "operator\n")
    }

    @Test func unknownCommandsListTheCommands() throws {
        let fixture = try RuntimeFixture()
        let unknown = fixture.answer("frobnicate now")
        #expect(unknown.hasPrefix("Unknown command: 'frobnicate now'. Please enter one of the following commands only:\n"))
        #expect(unknown.contains("\n  show info "))
        #expect(unknown.contains("\n  set weight <bk>/<srv> <w>[%] "))
        #expect(unknown.hasSuffix("  quit                                    : close the connection\n"))

        let partial = fixture.answer("show frobs")
        #expect(partial.hasPrefix("Unknown command: 'show frobs', but maybe one of the following ones is a better match:\n"))
        #expect(partial.contains("\n  show stat "))
        #expect(!partial.contains("\n  set weight"), "only the commands starting with 'show'")
    }

    @Test func helpListsAllOrMatchingCommandsSortedByUsage() throws {
        let fixture = try RuntimeFixture()
        let help = fixture.answer("help", level: .user)
        #expect(help.hasPrefix("The following commands are valid at this level:\n"))
        let lines = help.split(separator: "\n").dropFirst().dropLast(3).map(String.init)
        #expect(lines == lines.sorted())
        #expect(lines.count == fixture.table.commands.count - 3)
        let maps = fixture.answer("help set")
        #expect(maps.contains("  set map ") && maps.contains("  set weight ") && !maps.contains("  show "))
    }

    @Test func theLongestMatchWinsAndDuplicatesAreRefused() throws {
        var table = CLICommandTable()
        try table.add(CLICommand(words: ["show"], usage: "show", action: .respond { _ in "short" }))
        try table.add(CLICommand(words: ["show", "info"], usage: "show info", action: .respond { _ in "long" }))
        guard case .answer(let text) = table.resolve(CLIRequest(words: ["show", "info", "x"], level: .user)) else {
            Issue.record("not an answer")
            return
        }
        #expect(text == "long\n", "answers end with a line feed")
        #expect(throws: CLICommandTable.DuplicateCommand.self) {
            try table.add(CLICommand(words: ["show", "info"], usage: nil, action: .quit))
        }
        guard case .answer(let empty) = table.resolve(CLIRequest(words: [], level: .user)) else {
            Issue.record("not an answer")
            return
        }
        #expect(empty == "", "an empty request has an empty answer")
    }

    @Test func builtinWordsIncludeTheSessionCommands() {
        #expect(RuntimeCommands.builtinWords.contains(["show", "info"]))
        #expect(RuntimeCommands.builtinWords.contains(["help"]))
        #expect(RuntimeCommands.builtinWords.contains(["set", "maxconn", "server"]))
    }
}
