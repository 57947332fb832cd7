import Testing

@testable import TidegateRuntime

/// HAProxy's request syntax: words split on blanks, backslash escapes, requests ending at `;` or a line feed.
@Suite struct CLICommandLineTests {
    func words(_ text: String) -> [String] { CLICommandLine.words(Array(text.utf8)) }

    @Test func wordsAreSeparatedBySpacesAndTabs() {
        #expect(words("show   info") == ["show", "info"])
        #expect(words("\t set weight\tbe/s1  50% ") == ["set", "weight", "be/s1", "50%"])
        #expect(words("") == [])
        #expect(words("   ") == [])
    }

    @Test func backslashMakesTheNextCharacterLiteral() {
        #expect(words(#"set map m.map key val\;ue"#) == ["set", "map", "m.map", "key", "val;ue"])
        #expect(words(#"add map m.map a\ b c"#) == ["add", "map", "m.map", "a b", "c"])
        #expect(words(#"x back\\slash"#) == ["x", #"back\slash"#])
        #expect(words(#"x \a\b"#) == ["x", "ab"])
        #expect(words(#"x \ "#) == ["x", " "], "an escaped space is a word")
        #expect(words(#"x end\"#) == ["x", "end"], "a final lone backslash is dropped")
    }

    @Test func requestsEndAtUnescapedSemicolonsAndLineFeeds() {
        #expect(CLICommandLine.requestEnd(in: Array("show info;show stat\n".utf8))! == (9, false))
        #expect(CLICommandLine.requestEnd(in: Array("show info\n".utf8))! == (9, true))
        #expect(CLICommandLine.requestEnd(in: Array(#"set map f k a\;b"#.utf8 + [10]))! == (16, true))
        #expect(CLICommandLine.requestEnd(in: Array(#"x \\;y"#.utf8))! == (4, false), "an escaped backslash")
        #expect(CLICommandLine.requestEnd(in: Array("show info".utf8)) == nil)
        #expect(CLICommandLine.requestEnd(in: Array("x \\\ny".utf8))! == (3, true), "a line feed always ends the line")
    }
}
