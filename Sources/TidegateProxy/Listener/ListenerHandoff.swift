import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Passes listening sockets from a running Tidegate to the process replacing it (`-sf`/`-st`),
/// so a reload never closes a listening socket: connections waiting in its accept queue are
/// accepted by the new process instead of being reset (HAProxy's `-x` with `expose-fd listeners`).
///
/// Each process serves its sockets on a unix socket at `path(for: pid)`, inside a directory only
/// its user can enter; a client of another user is refused (SO_PEERCRED). The descriptors travel
/// as SCM_RIGHTS ancillary data, which NIO does not expose, so this small control-plane exchange
/// uses blocking socket calls on its own thread, never on an event loop.
enum ListenerHandoff {
    /// One listening socket: what it listens on and its descriptor.
    struct Entry: Sendable {
        var key: String
        var fd: Int32
    }

    /// The directory holding the handoff sockets of this user's processes.
    static var directory: String {
        if let custom = getenv("TIDEGATE_RUNTIME_DIR") { return String(cString: custom) }
        return "/tmp/tidegate-\(geteuid())"
    }

    static func path(for pid: Int32) -> String { "\(directory)/\(pid).sock" }

    // MARK: - Serving (old process)

    /// Serves `entries` until `stop()`; returns nil if the socket cannot be created.
    final class Server: Sendable {
        private let fd: Int32
        private let path: String
        private let stopped = Atomic<Bool>(false)
        private let thread = NIOThreadPool(numberOfThreads: 1)

        /// - Parameter handingOver: called (on the handoff thread) before the sockets are sent; it
        ///   pauses this process's listeners so that one process at a time accepts on them.
        init?(entries: [Entry], handingOver: @escaping @Sendable () -> Void) {
            let directory = ListenerHandoff.directory
            mkdir(directory, 0o700)
            var status = stat()
            guard lstat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR, status.st_uid == geteuid(),
                status.st_mode & 0o077 == 0
            else { return nil }
            path = ListenerHandoff.path(for: getpid())
            unlink(path)
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return nil }
            guard ListenerHandoff.withUnixAddress(path, { bind(fd, $0, $1) }) == 0, listen(fd, 8) == 0 else {
                close(fd)
                return nil
            }
            let serverFD = fd
            thread.start()
            thread.submit { _ in
                // Ends when `stop()` shuts the socket down and accept fails.
                while true {
                    let client = accept(serverFD, nil, nil)
                    if client < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    ListenerHandoff.serve(client, entries: entries, handingOver: handingOver)
                    close(client)
                }
            }
        }

        /// Stops serving and removes the socket file.
        func stop() {
            guard !stopped.exchange(true, ordering: .relaxed) else { return }
            unlink(path)
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
            thread.shutdownGracefully { _ in }
        }
    }

    private static func serve(_ client: Int32, entries: [Entry], handingOver: () -> Void) {
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(client, SOL_SOCKET, soPeerCred, &credentials, &length) == 0,
            credentials.uid == geteuid() || credentials.uid == 0
        else { return }
        handingOver()
        for entry in entries {
            guard send(client, line: entry.key + "\n", fd: entry.fd) else { return }
        }
    }

    /// Sends one line with one descriptor attached.
    private static func send(_ socket: Int32, line: String, fd: Int32) -> Bool {
        var payload = Array(line.utf8)
        let controlLength = cmsgSpace(MemoryLayout<Int32>.size)
        var control = [UInt8](repeating: 0, count: controlLength)
        return payload.withUnsafeMutableBytes { payloadBytes in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: payloadBytes.baseAddress, iov_len: payloadBytes.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlLength
                    let header = controlBytes.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                    header.pointee.cmsg_len = cmsgLength(MemoryLayout<Int32>.size)
                    header.pointee.cmsg_level = SOL_SOCKET
                    header.pointee.cmsg_type = Int32(SCM_RIGHTS)
                    controlBytes.storeBytes(of: fd, toByteOffset: cmsgHeaderSize, as: Int32.self)
                    return sendmsg(socket, &message, 0) == payloadBytes.count
                }
            }
        }
    }

    // MARK: - Fetching (new process)

    /// Fetches the listening sockets of process `pid`; empty when it offers none.
    static func fetch(from pid: Int32) -> [Entry] {
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return [] }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard withUnixAddress(path(for: pid), { connect(socket, $0, $1) }) == 0 else { return [] }
        var entries: [Entry] = []
        var pending: [UInt8] = []
        var pendingFDs: [Int32] = []
        while true {
            var buffer = [UInt8](repeating: 0, count: 512)
            var control = [UInt8](repeating: 0, count: cmsgSpace(MemoryLayout<Int32>.size * 4))
            let received = buffer.withUnsafeMutableBytes { bufferBytes in
                control.withUnsafeMutableBytes { controlBytes -> Int in
                    var vector = iovec(iov_base: bufferBytes.baseAddress, iov_len: bufferBytes.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        let n = recvmsg(socket, &message, Int32(MSG_CMSG_CLOEXEC))
                        if n > 0 && message.msg_controllen >= cmsgLength(MemoryLayout<Int32>.size) {
                            let header = controlBytes.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                            if header.pointee.cmsg_level == SOL_SOCKET && header.pointee.cmsg_type == Int32(SCM_RIGHTS) {
                                let count = (Int(header.pointee.cmsg_len) - cmsgHeaderSize) / MemoryLayout<Int32>.size
                                for i in 0..<count {
                                    pendingFDs.append(
                                        controlBytes.load(
                                            fromByteOffset: cmsgHeaderSize + i * MemoryLayout<Int32>.size, as: Int32.self))
                                }
                            }
                        }
                        return n
                    }
                }
            }
            if received <= 0 { break }
            pending.append(contentsOf: buffer[0..<received])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")), !pendingFDs.isEmpty {
                entries.append(Entry(key: String(decoding: pending[..<newline], as: UTF8.self), fd: pendingFDs.removeFirst()))
                pending.removeSubrange(...newline)
            }
        }
        for fd in pendingFDs { close(fd) }
        return entries
    }

    // MARK: - Helpers

    /// Linux `struct ucred` (hidden behind _GNU_SOURCE in the C headers Swift imports).
    private struct PeerCredentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Linux `SO_PEERCRED`.
    private static let soPeerCred: Int32 = 17

    private static let cmsgHeaderSize = alignUp(MemoryLayout<cmsghdr>.size)

    private static func alignUp(_ n: Int) -> Int {
        let word = MemoryLayout<Int>.size
        return (n + word - 1) & ~(word - 1)
    }

    private static func cmsgSpace(_ dataLength: Int) -> Int { cmsgHeaderSize + alignUp(dataLength) }
    private static func cmsgLength(_ dataLength: Int) -> Int { cmsgHeaderSize + dataLength }

    private static func withUnixAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return -1 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}
