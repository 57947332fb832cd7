#if canImport(Glibc)
import Glibc
#endif

/// Background mode (`-D`): fork, detach from the terminal, point standard streams at /dev/null.
/// The parent waits until the child has bound its sockets (or failed) and exits with its status,
/// so `tidegate -D` fails visibly when a port is taken, as HAProxy does.
/// Must run before any thread is started (no concurrency task, no event loop yet).
enum Daemon {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The child's side of the startup report.
    struct StartupReport: Sendable {
        let fd: Int32

        func succeeded() {
            _ = "ok".withCString { write(fd, $0, 2) }
            close(fd)
        }

        func failed(_ message: String) {
            let text = "error:" + message
            _ = text.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
    }

    /// Returns in the child only; the parent exits once the child reports.
    static func detach() throws -> StartupReport {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "cannot create pipe: \(String(cString: strerror(errno)))") }
        let child = fork()
        if child < 0 { throw Failure(description: "cannot fork: \(String(cString: strerror(errno)))") }
        if child > 0 {
            close(fds[1])
            var report: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fds[0], &chunk, chunk.count)
                if n <= 0 { break }
                report.append(contentsOf: chunk[0..<n])
            }
            let text = String(decoding: report, as: UTF8.self)
            if text == "ok" { exit(0) }
            let message = text.hasPrefix("error:") ? String(text.dropFirst(6)) : "the daemon exited during startup"
            _ = "[ALERT]    (\(child)) : \(message)\n".withCString { write(STDERR_FILENO, $0, strlen($0)) }
            exit(1)
        }
        close(fds[0])
        _ = setsid()
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, STDIN_FILENO)
            dup2(null, STDOUT_FILENO)
            dup2(null, STDERR_FILENO)
            if null > STDERR_FILENO { close(null) }
        }
        return StartupReport(fd: fds[1])
    }
}
