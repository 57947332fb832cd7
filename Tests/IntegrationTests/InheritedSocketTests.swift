import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `bind fd@N`: a listening socket inherited from the parent process (systemd socket activation,
/// a supervisor), as HAProxy accepts it.
@Suite("Inherited listening socket", .timeLimit(.minutes(1)))
struct InheritedSocketTests {
    @Test("bind fd@3 serves on a socket the parent created and passed as descriptor 3")
    func bindInheritedDescriptor() async throws {
        let server = try await TestHTTPServer.start(name: "s1")
        let listener = try SilentListener()
        let scratch = try ScratchDirectory()
        let config = try scratch.write(
            "tidegate.cfg",
            TestConfig.make(
                """
                frontend fe
                    bind fd@3
                    default_backend be

                backend be
                \(TestConfig.serverLines([server]))
                """))
        let pid = try Self.spawn(
            arguments: ["-f", config], passing: listener.fd, as: 3, stderr: scratch.file("stderr"))
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }

        // The parent never accepts: only tidegate, through its copy of the descriptor, can answer.
        let response = try await eventuallyResponse(port: listener.port)
        let stderr = (try? String(contentsOfFile: scratch.file("stderr"), encoding: .utf8)) ?? ""
        #expect(response?.status == 200, "no answer on the inherited socket; stderr:\n\(stderr)")
        #expect(response?.header("x-served-by") == "s1" || server.requestCount >= 1)
    }

    private func eventuallyResponse(port: Int) async throws -> RawHTTPResponse? {
        for _ in 0..<5 {
            if let response = try? await HTTPClient.request(port: port, "/inherited", timeout: .seconds(2)) {
                return response
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Starts tidegate with `fd` available as descriptor `target` and nothing else inherited.
    private static func spawn(arguments: [String], passing fd: Int32, as target: Int32, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fd, target)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, target + 1)
        }
        let executable = try TidegateBinary.path()
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard result == 0 else { throw SocketError(operation: "posix_spawn", code: result) }
        return pid
    }
}
