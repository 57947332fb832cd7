import NIOCore
import Testing

@testable import TidegateCore

@Suite("Compiled regular expressions")
struct CompiledRegexTests {
    @Test func posixAndPCREOnlyPatterns() throws {
        #expect(CompiledRegex.isPortableToPOSIX("^/api/v[0-9]+/"))
        #expect(CompiledRegex.isPortableToPOSIX("a\\.b"))
        #expect(!CompiledRegex.isPortableToPOSIX("\\d+"))
        #expect(!CompiledRegex.isPortableToPOSIX("(?:ab)+"))
        #expect(!CompiledRegex.isPortableToPOSIX("a+?"))
        #expect(!CompiledRegex.isPortableToPOSIX("[\\]]"))
        #expect(CompiledRegex.isPortableToPOSIX("[[:alpha:]]+"))
        for pattern in ["^/api/v[0-9]+/", "^/api/v\\d+/"] {
            let regex = try CompiledRegex(pattern)
            #expect(regex.matches("/api/v12/users"))
            #expect(!regex.matches("/API/v12/users"))
            #expect(!regex.matches("/api/vx/"))
            #expect(try CompiledRegex(pattern, ignoresCase: true).matches("/API/V3/"))
        }
        #expect(try CompiledRegex("").matches(""))
        #expect(try CompiledRegex("^$").matches(ByteBuffer()))
        #expect(throws: SampleCompileError.self) { try CompiledRegex("a(b") }
    }

    @Test func wholeValueSubstitution() throws {
        let regex = try CompiledRegex("^([^:]+):([0-9]+)$")
        let template = RegexTemplate("\\2@\\1")
        #expect(String(buffer: regex.substituteWhole(ByteBuffer(string: "host:80"), template: template)) == "80@host")
        #expect(String(buffer: regex.substituteWhole(ByteBuffer(string: "nomatch"), template: template)) == "nomatch")
        let pcre = try CompiledRegex("^(\\w+)-(\\d+)$")
        #expect(String(buffer: pcre.substituteWhole(ByteBuffer(string: "ab-12"), template: template)) == "12@ab")
        #expect(RegexTemplate("a\\x41\\\\b").parts.count == 1)
    }
}
