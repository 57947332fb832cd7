import Foundation
import Synchronization

/// A child process started with `posix_spawn`, reaped with `waitpid`. The harness does not use Foundation's
/// `Process.run()` for the processes under test: in swift-corelibs-foundation up to Swift 6.3.1 it intermittently
/// crashes the test process (an over-read of `/proc/self/fd` entries, swiftlang/swift-corelibs-foundation#5472),
/// more often the more descriptors the test process holds.
final class ChildProcess: Sendable {
    let pid: pid_t
    /// The raw `waitpid` status once the child was reaped.
    private let reaped = Mutex<Int32?>(nil)

    init(pid: pid_t) {
        self.pid = pid
    }

    /// Whether the child still runs (reaps it when it ended).
    var isRunning: Bool {
        reaped.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid || (result == -1 && errno == ECHILD) {
                status = result == pid ? raw : 0
                return false
            }
            return true
        }
    }

    /// The exit code, or the number of the signal that killed it (as Foundation's `terminationStatus`).
    var terminationStatus: Int32 {
        guard !isRunning, let raw = reaped.withLock({ $0 }) else { return 0 }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }

    /// Whether it ended because of a signal rather than by exiting.
    var killedBySignal: Bool {
        guard !isRunning, let raw = reaped.withLock({ $0 }) else { return false }
        return raw & 0x7f != 0
    }

    /// `posix_spawn` with standard output and error sent to files, standard input from /dev/null, no other
    /// descriptor inherited (a daemon must not keep the test's sockets open), and `directory` as the working
    /// directory when given.
    static func spawn(
        executable: String, arguments: [String], stdout: String, stderr: String, directory: String? = nil
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // glibc ≥ 2.34 has closefrom and chdir as file actions; Swift does not import the `_np` functions.
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
        }
        if let directory {
            typealias AddChdir = @convention(c) (
                UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
            ) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
            else {
                throw HarnessError(description: "posix_spawn_file_actions_addchdir_np is missing (glibc < 2.29)")
            }
            _ = unsafeBitCast(symbol, to: AddChdir.self)(&actions, directory)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard result == 0 else {
            throw HarnessError(description: "posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
