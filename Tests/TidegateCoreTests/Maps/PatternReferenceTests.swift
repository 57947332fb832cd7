import Testing

@testable import TidegateCore

/// Run-time changes of pattern files (`core.add_acl`, `core.set_map`... in Lua) as ACLs and map converters see them.
/// Each test has its own file cache, so the fixtures' references start unchanged.
@Suite("Pattern references changed at run time")
struct PatternReferenceTests {
    let context = makeContext(request: "GET /admin HTTP/1.1\nHost: new.example.com")

    @Test func aclWithFileFollowsAddsAndDeletes() throws {
        let cache = MapFileCache()
        let environment = SampleCompileEnvironment(files: cache)
        let path = fixture("blocked-paths.lst")
        let acl = try ACLExpression(words: ["path", "-f", path], environment: environment)
        let inlineAndFile = try ACLExpression(words: ["path", "-f", path, "/inline"], environment: environment)
        #expect(acl.matches(in: context))
        let reference = try #require(cache.loadedReferences(path: path).first)
        #expect(reference.version == 0)

        reference.delete(key: "/admin")
        #expect(reference.version == 1)
        #expect(!acl.matches(in: context))
        #expect(!inlineAndFile.matches(in: context))

        reference.add(key: "/admin", onlyIfAbsent: true)
        reference.add(key: "/admin", onlyIfAbsent: true)
        #expect(reference.snapshot().entries.filter { $0.key == "/admin" }.count == 1)
        #expect(acl.matches(in: context))
        #expect(inlineAndFile.matches(in: context))
        // The file on disk is untouched, and the patterns given on the line stay.
        #expect(reference.file.entries.map(\.key) == ["/admin", "/private", "/Secret"])
        let inline = makeContext(request: "GET /inline HTTP/1.1\nHost: a")
        #expect(inlineAndFile.matches(in: inline))
    }

    @Test func mapConverterFollowsSetAndDelete() throws {
        let cache = MapFileCache()
        let environment = SampleCompileEnvironment(files: cache)
        let path = fixture("hosts.map")
        let expression = try SampleExpression("req.hdr(host),map(\(path),none)", environment: environment)
        #expect(try expression.evaluate(in: context)?.stringValue == "none")

        let reference = try #require(cache.loadedReferences(path: path).first)
        #expect(reference.isMap)
        reference.set(key: "new.example.com", value: "be_new")
        #expect(try expression.evaluate(in: context)?.stringValue == "be_new")
        reference.set(key: "new.example.com", value: "be_newer")
        #expect(try expression.evaluate(in: context)?.stringValue == "be_newer")
        #expect(reference.snapshot().entries.filter { $0.key == "new.example.com" }.count == 1)
        #expect(reference.delete(key: "new.example.com"))
        #expect(!reference.delete(key: "new.example.com"))
        #expect(try expression.evaluate(in: context)?.stringValue == "none")
        // Every matcher of the file shares the reference: a second method sees the same change.
        reference.set(key: ".example.com", value: "by suffix")
        let suffix = try SampleExpression("req.hdr(host),map_end(\(path))", environment: environment)
        #expect(try suffix.evaluate(in: context)?.stringValue == "by suffix")
    }

    @Test func entriesThatNoLongerCompileAreSkipped() throws {
        let cache = MapFileCache()
        let path = fixture("weights.map")
        let matcher = try cache.matcher(path: path, method: .int, output: .sint)
        let reference = matcher.reference
        reference.set(key: "7", value: "not-a-number")
        reference.set(key: "8", value: "800")
        #expect(matcher.lookup(.sint(7)) == nil)
        #expect(matcher.lookup(.sint(8)) == .sint(800))
        #expect(matcher.lookup(.sint(5)) == .sint(500))
    }

    @Test func lookupsRaceWithChanges() async throws {
        let cache = MapFileCache()
        let matcher = try cache.matcher(path: fixture("hosts.map"), method: .str, output: .str)
        let reference = matcher.reference
        let misses = await withTaskGroup(of: Int.self) { group in
            group.addTask {
                for round in 0..<500 { reference.set(key: "k\(round % 10)", value: "v\(round)") }
                return 0
            }
            for _ in 0..<2 {
                group.addTask {
                    (0..<2000).filter { _ in matcher.lookup("www.example.com") != .string("be_www") }.count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(misses == 0)
        #expect(matcher.lookup("k9") == .string("v499"))
    }
}
