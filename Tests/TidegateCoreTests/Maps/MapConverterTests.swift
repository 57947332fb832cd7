import NIOCore
import Testing

@testable import TidegateCore

@Suite("Map files and map converters")
struct MapConverterTests {
    let context = makeContext(request: "GET /api/v2/users HTTP/1.1\nHost: api.example.com")

    @Test func parsesKeysValuesAndComments() throws {
        let file = try MapFile.load(path: fixture("hosts.map"), asMap: true)
        #expect(file.entries.map(\.key) == ["www.example.com", "api.example.com", "static.example.com"])
        #expect(file.entries.map(\.value) == ["be_www", "be_api", "be_static with spaces"])
        #expect(file.entries.map(\.line) == [2, 3, 4])
        let patterns = try MapFile.load(path: fixture("blocked-paths.lst"), asMap: false)
        #expect(patterns.entries.map(\.key) == ["/admin", "/private", "/Secret"])
        let inline = MapFile.parse(Array("  a 1\r\n#x\n\nb\t 2 3 \n".utf8), asMap: true)
        #expect(inline.map(\.key) == ["a", "b"])
        #expect(inline.map(\.value) == ["1", "2 3"])
    }

    @Test func exactStringMaps() throws {
        let path = fixture("hosts.map")
        #expect(try string("req.hdr(host),map(\(path))", context) == "be_api")
        #expect(try string("req.hdr(host),map_str(\(path),be_default)", context) == "be_api")
        #expect(try string("str(nowhere.example),map(\(path),be_default)", context) == "be_default")
        #expect(try evaluate("str(nowhere.example),map(\(path))", context) == nil)
        #expect(try string("str(static.example.com),map(\(path))", context) == "be_static with spaces")
        #expect(try evaluate("str(API.example.com),map(\(path))", context) == nil)
    }

    @Test func prefixSuffixRegexMaps() throws {
        // The longest prefix wins, as in HAProxy's prefix tree.
        #expect(try string("path,map_beg(\(fixture("prefixes.map")))", context) == "api_v2")
        #expect(try string("str(/apix),map_beg(\(fixture("prefixes.map")))", context) == "api")
        #expect(try string("str(/other),map_beg(\(fixture("prefixes.map")))", context) == "root")
        #expect(try string("req.hdr(host),map_end(\(fixture("suffixes.map")))", context) == "example")
        #expect(try string("str(x.org),map_end(\(fixture("suffixes.map")))", context) == "org")
        #expect(try string("str(/img/a/b.png),map_reg(\(fixture("regex.map")))", context) == "png")
        #expect(try string("str(/img/a/b.gif),map_reg(\(fixture("regex.map")))", context) == "img")
        #expect(try string("str(xx/api/v2yy),map_sub(\(fixture("prefixes.map")))", context) == "api")
    }

    @Test func ipAndIntegerMaps() throws {
        let networks = fixture("networks.map")
        #expect(try string("src,map_ip(\(networks))", context) == "client")
        #expect(try string("ipv4(10.1.2.3),map_ip(\(networks))", context) == "lab")
        #expect(try string("ipv4(10.200.0.1),map_ip(\(networks))", context) == "internal")
        #expect(try string("str(10.9.9.9),map_ip(\(networks))", context) == "internal")
        #expect(try string("ipv6(2001:db8:ffff::1),map_ip(\(networks))", context) == "docs6")
        #expect(try string("ipv4(8.8.8.8),map_ip(\(networks),public)", context) == "public")
        let weights = fixture("weights.map")
        #expect(try integer("int(5),map_int_int(\(weights))", context) == 500)
        #expect(try evaluate("int(5),map_int_int(\(weights))", context)?.type == .sint)
        #expect(try integer("int(7),map_int_int(\(weights),-1)", context) == -1)
        #expect(try string("str(10),map_int(\(weights))", context) == "1000")
    }

    @Test func filesAreLoadedOnceAndShared() throws {
        let cache = MapFileCache()
        let environment = SampleCompileEnvironment(files: cache)
        let path = fixture("hosts.map")
        _ = try SampleExpression("req.hdr(host),map(\(path))", environment: environment)
        _ = try SampleExpression("path,map_str(\(path),x)", environment: environment)
        let first = try cache.matcher(path: path, method: .str, output: .str)
        let second = try cache.matcher(path: path, method: .str, output: .str)
        #expect(first === second)
        #expect(try cache.file(path: path, asMap: true) === first.file)
        #expect(first.lookup("www.example.com") == .string("be_www"))
    }

    @Test func relativePathsAndErrors() throws {
        var environment = SampleCompileEnvironment(files: MapFileCache())
        environment.baseDirectory = fixture("")
        #expect(try SampleExpression("path,map(hosts.map)", environment: environment).evaluate(in: context) == nil)
        #expect(throws: SampleCompileError.self) { try SampleExpression("path,map(/nonexistent/file.map)") }
        #expect(throws: SampleCompileError.self) {
            try SampleExpression("int(1),map_int_int(\(fixture("hosts.map")))")
        }
        #expect(throws: SampleCompileError.self) { try SampleExpression("path,map") }
    }
}
