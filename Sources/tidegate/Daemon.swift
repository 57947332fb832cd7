#if canImport(Glibc)
import Glibc
#endif

/// Background mode (`-D`): fork, detach from the terminal, point standard streams at /dev/null.
/// Must run before any thread is started (no concurrency task, no event loop yet).
enum Daemon {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func detach() throws {
        let child = fork()
        if child < 0 { throw Failure(description: "cannot fork: \(String(cString: strerror(errno)))") }
        if child > 0 { exit(0) }
        _ = setsid()
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, STDIN_FILENO)
            dup2(null, STDOUT_FILENO)
            dup2(null, STDERR_FILENO)
            if null > STDERR_FILENO { close(null) }
        }
    }
}
