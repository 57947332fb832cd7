import Testing
import TidegateCore
import TidegateLua
import TidegateLuaAPI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The global `Map` class over a temporary map file.
@Suite struct IOMapTests {
    /// Writes `contents` to a new file in a new temporary directory; returns the directory and file name.
    private func makeMapFile(_ contents: String) throws -> (directory: String, name: String) {
        var template = Array("/tmp/tidegate-map-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let directory = mkdtemp(base) else { return nil }
            return String(cString: directory)
        }
        guard let path = created else { throw IOTestHarness.Failure(description: "mkdtemp failed") }
        let file = fopen(path + "/test.map", "w")
        #expect(file != nil)
        fputs(contents, file)
        fclose(file)
        return (path, "test.map")
    }

    private func remove(_ directory: String, _ names: String...) {
        for name in names {
            unlink(directory + "/" + name)
        }
        rmdir(directory)
    }

    private let contents = """
        # comment
        www.example.com   exact site
        /static           static files
        example.org       dom value
        .png              image
        ^api-[0-9]+$      regex value
        """

    @Test func lookupsWithSeveralMatchMethods() async throws {
        let (directory, name) = try self.makeMapFile(self.contents)
        let (ipDirectory, ipName) = try self.makeMapFile("10.0.0.0/8 private net\n192.168.1.1 one host\n")
        defer {
            self.remove(directory, name)
            self.remove(ipDirectory, ipName)
        }
        // Each harness has its own cache, so each method's index is built from the file.
        let options = LuaIOOptions(mapBaseDirectory: directory, mapFiles: MapFileCache())
        try await IOTestHarness.with(options: options) { harness in
            let values = try await harness.load(
                """
                local str = Map.new("\(name)", Map._str)
                local beg = Map.new("\(directory)/\(name)", Map.beg)
                local dom = Map.new("\(name)", Map._dom)
                local ends = Map.new("\(name)", Map._end)
                local reg = Map.new("\(name)", Map._reg)
                local ip = Map.new("\(ipDirectory)/\(ipName)", Map._ip)
                local default = Map.new("\(name)")
                return str:lookup("www.example.com"), str:lookup("example.com"), str:slookup("nothing"),
                    beg:lookup("/static/app.js"), dom:lookup("cdn.example.org"), ends:lookup("logo.png"),
                    reg:lookup("api-42"), reg:lookup("api-x"), ip:lookup("10.1.2.3"), ip:lookup("192.168.0.1"),
                    ip:lookup("192.168.1.1"),
                    default:lookup("example.org")
                """)
            #expect(
                values == [
                    "exact site", nil, "", "static files", "dom value", "image", "regex value", nil, "private net", nil,
                    "one host",
                    "dom value",
                ])
        }
    }

    @Test func integerMapsTakeIntegers() async throws {
        let (directory, name) = try self.makeMapFile("1:10 low\n100 hundred\n")
        defer { self.remove(directory, name) }
        try await IOTestHarness.with(options: LuaIOOptions(mapBaseDirectory: directory, mapFiles: MapFileCache())) {
            harness in
            let values = try await harness.load(
                """
                local m = Map.new("\(name)", Map._int)
                return m:lookup(5), m:lookup("100"), m:lookup(50), select(2, pcall(m.lookup, m, "x"))
                """)
            #expect(Array(values.prefix(3)) == ["low", "hundred", nil])
            #expect(values.last?.stringValue?.contains("number expected, got string") == true)
        }
    }

    @Test func constantsAndErrors() async throws {
        let (directory, name) = try self.makeMapFile("a b\n")
        defer { self.remove(directory, name) }
        try await IOTestHarness.with(options: LuaIOOptions(mapBaseDirectory: directory, mapFiles: MapFileCache())) {
            harness in
            let values = try await harness.load(
                """
                local function err(...) return select(2, pcall(...)) end
                return Map._found, Map.bool, Map._int, Map.ip, Map._bin, Map._len, Map._str, Map.beg, Map._sub,
                    Map.dir, Map._dom, Map["end"], Map._reg, Map.regm,
                    err(Map.new, "\(name)", Map._bin), err(Map.new, "\(name)", 99), err(Map.new, "missing.map"),
                    err(Map.new), err(Map.new("\(name)").lookup, Map.new("\(name)"))
                """)
            #expect(Array(values.prefix(14)) == (0...13).map { LuaValue.integer(Int64($0)) })
            let errors = values.dropFirst(14).map { $0.stringValue ?? "\($0)" }
            let expected = [
                "'new' doesn't support this match mode.", "'new' needs a valid match method.",
                "'new': failed to open pattern file <\(directory)/missing.map>: No such file or directory.",
                "'new' needs at least 1 argument.", "'lookup' needs 2 arguments",
            ]
            #expect(errors.count == expected.count, "\(values)")
            for (error, suffix) in zip(errors, expected) {
                #expect(error.hasSuffix(suffix), "\(error)")
            }
        }
    }
}
