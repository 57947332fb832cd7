import Testing

@testable import TidegateConfig

@Suite struct ConfigLexerTests {
    let location = ConfigLocation(file: "test.cfg", line: 7)

    func words(_ line: String, _ environment: [String: String] = [:]) throws -> [String] {
        try ConfigLexer(environment: environment).words(in: line, location: location)
    }

    @Test func splitsOnSpacesAndTabs() throws {
        #expect(try words("  bind \t:80   name  web ") == ["bind", ":80", "name", "web"])
    }

    @Test func commentsEndTheLineOutsideQuotes() throws {
        #expect(try words("maxconn 100 # a comment") == ["maxconn", "100"])
        #expect(try words("acl a path_beg /x#y") == ["acl", "a", "path_beg", "/x"])
        #expect(try words("# only a comment").isEmpty)
        #expect(try words("description \"a # b\" 'c # d'") == ["description", "a # b", "c # d"])
    }

    @Test func doubleQuotesGroupAndAdjacentPartsJoin() throws {
        #expect(try words("log-format \"%ci %t\"") == ["log-format", "%ci %t"])
        #expect(try words("x foo\"bar baz\"qux") == ["x", "foobar bazqux"])
        #expect(try words("x \"a\"'b c'\\ d") == ["x", "ab c d"])
    }

    @Test func singleQuotesAreLiteral() throws {
        #expect(try words("x '$HOME \\t \"q\"'", ["HOME": "/root"]) == ["x", "$HOME \\t \"q\""])
    }

    @Test func escapes() throws {
        #expect(try words("x a\\ b \\#c \\\\ \\\" \\'") == ["x", "a b", "#c", "\\", "\"", "'"])
        #expect(try words("x \\t\\n\\r") == ["x", "\t\n\r"])
        #expect(try words("x \\x41\\x62") == ["x", "Ab"])
        // Unknown escapes keep their backslash, so regexes survive.
        #expect(try words("x ^/api\\d+\\.json$") == ["x", "^/api\\d+\\.json$"])
        // Escapes work inside double quotes too.
        #expect(try words("x \"a\\\"b\\$c\"") == ["x", "a\"b$c"])
    }

    @Test func invalidHexEscapeIsAnAlert() {
        #expect(throws: ConfigDiagnostic.self) { try words("x \\xZZ") }
    }

    @Test func environmentIsExpandedOnlyInDoubleQuotes() throws {
        let env = ["PORT": "8080", "HOST": "10.0.0.1"]
        #expect(try words("bind \"${HOST}:$PORT\"", env) == ["bind", "10.0.0.1:8080"])
        #expect(try words("bind ${HOST}:$PORT", env) == ["bind", "${HOST}:$PORT"])
        #expect(try words("bind '${HOST}'", env) == ["bind", "${HOST}"])
        #expect(try words("x \"$PORTS\"", env) == ["x"])  // $PORTS is a different, undefined variable
        #expect(try words("x \"cost: $ 5\"") == ["x", "cost: $ 5"])
    }

    @Test func environmentDefaultsAndUndefinedVariables() throws {
        let env = ["SET": "value", "EMPTY": ""]
        #expect(try words("x \"${UNSET-fallback}\"", env) == ["x", "fallback"])
        #expect(try words("x \"${SET-fallback}\"", env) == ["x", "value"])
        // The default only applies to unset variables; a set but empty one alone in its word drops it.
        #expect(try words("x \"${EMPTY-fallback}\"", env) == ["x"])
        #expect(try words("x \"${EMPTY-fallback}.\"", env) == ["x", "."])
        #expect(try words("x \"pre-${UNSET}-post\"", env) == ["x", "pre--post"])
        // A word made only of an undefined variable disappears; an explicit "" stays.
        #expect(
            try words("server s 1.2.3.4:80 \"$UNSET\" weight 2", env) == ["server", "s", "1.2.3.4:80", "weight", "2"]
        )
        #expect(try words("x \"\" y") == ["x", "", "y"])
    }

    @Test func listExpansion() throws {
        let env = ["OPTS": "check  inter 2s"]
        #expect(
            try words("server s 1.2.3.4:80 \"${OPTS[*]}\" rise 1", env) == [
                "server", "s", "1.2.3.4:80", "check", "inter", "2s", "rise", "1",
            ]
        )
    }

    @Test func unterminatedQuotesAreAlertsWithLocation() throws {
        let error = try #require(throws: ConfigDiagnostic.self) { try words("description \"never closed") }
        #expect(error.severity == .alert)
        #expect(error.location == location)
        #expect(error.message == "unmatched double quote at position 13.")
        #expect(error.description == "parsing [test.cfg:7] : unmatched double quote at position 13.")
        let single = try #require(throws: ConfigDiagnostic.self) { try words("x 'open") }
        #expect(single.message == "unmatched single quote at position 3.")
    }

    @Test func unterminatedBraceIsAnAlert() throws {
        let error = try #require(throws: ConfigDiagnostic.self) { try words("x \"${HOST\"") }
        #expect(error.message.contains("unterminated '${'"))
    }

    @Test func directivesSkipBlankLinesHandleCRLFAndNumberLines() {
        let text = "global\r\n\r\n   # comment\r\n  maxconn 10\r\n\tdaemon\n"
        let (directives, diagnostics) = ConfigLexer(environment: [:]).directives(in: text, file: "f.cfg")
        #expect(diagnostics.isEmpty)
        #expect(directives.map(\.words) == [["global"], ["maxconn", "10"], ["daemon"]])
        #expect(directives.map(\.location.line) == [1, 4, 5])
        #expect(directives[1].keyword == "maxconn")
        #expect(Array(directives[1].arguments) == ["10"])
    }

    @Test func lexerErrorsDoNotStopTheFile() {
        let text = "a \"b\nc d\ne 'f\n"
        let (directives, diagnostics) = ConfigLexer(environment: [:]).directives(in: text, file: "f.cfg")
        #expect(directives.map(\.words) == [["c", "d"]])
        #expect(diagnostics.map(\.location?.line) == [1, 3])
    }
}
