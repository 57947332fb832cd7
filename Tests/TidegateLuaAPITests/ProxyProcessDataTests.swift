import NIOCore
import Testing
import TidegateConfig
import TidegateCore
import TidegateLua
import TidegateLuaAPI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `core.get_var`, `core.add_acl`, `core.del_acl`, `core.set_map` and `core.del_map` against the pattern files an
/// ACL and a map converter compiled, as the configuration would.
@Suite struct ProxyProcessDataTests {
    /// A directory with `blocked.lst` (`/admin`) and `hosts.map` (`a.example be_a`).
    private func makeFiles() throws -> String {
        var template = Array("/tmp/tidegate-patref-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let directory = mkdtemp(base) else { return nil }
            return String(cString: directory)
        }
        let directory = try #require(created)
        for (name, contents) in [("blocked.lst", "/admin\n"), ("hosts.map", "a.example be_a\n")] {
            let file = fopen(directory + "/" + name, "w")
            fputs(contents, file)
            fclose(file)
        }
        return directory
    }

    private func removeFiles(_ directory: String) {
        unlink(directory + "/blocked.lst")
        unlink(directory + "/hosts.map")
        rmdir(directory)
    }

    private func context(path: String, host: String) -> SampleContext {
        let context = SampleContext(frontendName: "fe", processVariables: ProcessVariables())
        context.request = TXNHarness.head("GET \(path) HTTP/1.1\nHost: \(host)", kind: .request)
        return context
    }

    @Test func getVarReadsProcessVariablesOnly() throws {
        let variables = ProcessVariables()
        variables.set("x", to: .sint(42))
        variables.set("s", to: .string("text"))
        let harness = try ProxyHarness(variables: variables)
        #expect(
            try harness.run("return core.get_var('proc.x'), core.get_var('proc.s'), core.get_var('proc.none')")
                == [42, "text", .nil])
        #expect(
            try harness.error("core.get_var('txn.x')")?.hasSuffix(
                "'get_var': Only 'proc.' scope allowed to be retrieved in 'core.get_var()'.") == true)
        #expect(try harness.error("core.get_var()")?.hasSuffix("'get_var' needs 1 arguments") == true)
        variables.set("x", to: .sint(43))
        #expect(try harness.run("return core.get_var('proc.x')") == [43])
    }

    @Test func aclAndMapChangesReachCompiledRules() throws {
        let directory = try makeFiles()
        defer { removeFiles(directory) }
        let files = MapFileCache()
        var environment = SampleCompileEnvironment(files: files)
        environment.baseDirectory = directory
        let acl = try ACLExpression(words: ["path", "-f", "blocked.lst"], environment: environment)
        let map = try SampleExpression("req.hdr(host),map(hosts.map,default)", environment: environment)
        let harness = try ProxyHarness(files: files, baseDirectory: directory)
        let images = context(path: "/images", host: "b.example")
        #expect(!acl.matches(in: images))
        #expect(try map.evaluate(in: images)?.stringValue == "default")

        // Relative names resolve as the configuration's; absolute ones are found too.
        try harness.run(
            """
            core.add_acl("blocked.lst", "/images")
            core.set_map("\(directory)/hosts.map", "b.example", "be_b")
            """)
        #expect(acl.matches(in: images))
        #expect(try map.evaluate(in: images)?.stringValue == "be_b")

        try harness.run(
            """
            core.del_acl("blocked.lst", "/images")
            core.del_map("hosts.map", "b.example")
            core.set_map("hosts.map", "a.example", "be_a2")
            """)
        #expect(!acl.matches(in: images))
        #expect(try map.evaluate(in: images)?.stringValue == "default")
        #expect(try map.evaluate(in: context(path: "/", host: "a.example"))?.stringValue == "be_a2")
        #expect(acl.matches(in: context(path: "/admin", host: "a.example")))
    }

    @Test func unknownFilesAndBadArguments() throws {
        let harness = try ProxyHarness()
        let cases = [
            ("core.add_acl('nope.lst', 'k')", "'add_acl': unknown acl file 'nope.lst'"),
            ("core.del_acl('nope.lst', 'k')", "'del_acl': unknown acl file 'nope.lst'"),
            ("core.set_map('nope.map', 'k', 'v')", "'set_map': unknown map file 'nope.map'"),
            // HAProxy's message says "acl" for del_map.
            ("core.del_map('nope.map', 'k')", "'del_map': unknown acl file 'nope.map'"),
            ("core.set_map('nope.map', 'k')", "'set_map' needs 3 arguments"),
            ("core.add_acl('nope.lst', {})", "bad argument #2 to 'add_acl' (string expected, got table)"),
        ]
        for (call, message) in cases {
            let error = try harness.error(call)
            #expect(error?.hasSuffix(message) == true, "\(call): \(String(describing: error))")
        }
    }
}
