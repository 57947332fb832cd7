import Synchronization
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed socket operation, with the operation and `errno` that explain it.
struct SocketError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32

    var isTimeout: Bool { code == EAGAIN || code == EWOULDBLOCK }
    var isConnectionRefused: Bool { code == ECONNREFUSED }
    var isReset: Bool { code == ECONNRESET || code == EPIPE }

    var description: String {
        isTimeout ? "\(operation): timed out" : "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// A blocking TCP socket to 127.0.0.1 with bounded waits (`SO_RCVTIMEO`/`SO_SNDTIMEO`): every
/// receive or send either progresses or fails within `timeout`. Use it from a blocking thread
/// (see ``blocking(_:)``), never directly on the cooperative pool.
final class TestSocket: @unchecked Sendable {
    private(set) var fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close()
    }

    /// Connects to `127.0.0.1:port`; every later read or write waits at most `timeout`.
    static func connect(port: Int, timeout: Duration = .seconds(10)) throws -> TestSocket {
        try connect(family: AF_INET, to: loopbackAddress(port: port), named: "port \(port)", timeout: timeout)
    }

    /// Connects to the UNIX stream socket at `path`; every later read or write waits at most `timeout`.
    static func connect(unixPath path: String, timeout: Duration = .seconds(10)) throws -> TestSocket {
        try connect(family: AF_UNIX, to: unixAddress(path), named: path, timeout: timeout)
    }

    /// A stream socket of `family` connected to `address` (a `sockaddr_in` or `sockaddr_un`).
    private static func connect<Address>(family: Int32, to address: Address, named name: String, timeout: Duration)
        throws -> TestSocket
    {
        #if canImport(Glibc)
            let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SocketError(operation: "socket", code: errno) }
        let result = TestSocket(fd: fd)
        var noSigPipe: Int32 = 1
        #if canImport(Darwin)
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &noSigPipe, socklen_t(MemoryLayout<Int32>.size))
        #else
            _ = noSigPipe
        #endif
        result.setTimeout(timeout)
        var address = address
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                posixConnect(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        guard status == 0 else { throw SocketError(operation: "connect to \(name)", code: errno) }
        return result
    }

    /// The address of the UNIX socket at `path`.
    static func unixAddress(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        return address
    }

    /// Reads until the peer closes; throws on timeout.
    func receiveUntilClosed() throws -> [UInt8] {
        var received: [UInt8] = []
        while true {
            let chunk = try receive()
            if chunk.isEmpty { return received }
            received += chunk
        }
    }

    /// Reads until what was received ends with `suffix` (or the peer closes); throws on timeout.
    func receive(until suffix: String) throws -> String {
        var received: [UInt8] = []
        let end = Array(suffix.utf8)
        while !received.reversed().starts(with: end.reversed()) {
            let chunk = try receive()
            if chunk.isEmpty { break }
            received += chunk
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether something accepts TCP connections on `127.0.0.1:port` right now.
    static func canConnect(port: Int) -> Bool {
        (try? connect(port: port, timeout: .seconds(1))) != nil
    }

    /// Changes the bound of later reads and writes.
    func setTimeout(_ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends every byte or throws.
    func send(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = posixSend(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if sent < 0 {
                if errno == EINTR { continue }
                throw SocketError(operation: "send", code: errno)
            }
            offset += sent
        }
    }

    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try send($0) }
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Reads up to `into.count` bytes; returns 0 at end of stream, throws on timeout or reset.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw SocketError(operation: "recv", code: errno)
        }
    }

    /// Reads what is available (waiting for at least one byte); empty at end of stream.
    func receive(maximum: Int = 65536) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: maximum)
        let count = try bytes.withUnsafeMutableBytes { try receive(into: $0) }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Half-closes: the peer sees end of stream, this side can still read.
    func shutdownWrite() {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    func close() {
        if fd >= 0 {
            _ = posixClose(fd)
            fd = -1
        }
    }

    private static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// Picks a TCP port nobody listens on: binds port 0, reads the number, closes.
enum FreePort {
    /// Ports handed out by this process: never twice, since two tidegate processes may bind the same
    /// port (SO_REUSEPORT, as HAProxy does) and would then share each other's connections.
    private static let issued = Mutex<Set<Int>>([])

    /// A free loopback port below the kernel's ephemeral range (so no `bind(0)` or outgoing
    /// connection of a concurrently running test can take it before tidegate binds it).
    static func next() throws -> Int {
        for _ in 0..<1000 {
            let candidate = Int.random(in: 20000..<32000)
            let fresh = issued.withLock { $0.insert(candidate).inserted }
            if fresh, isFree(candidate) { return candidate }
        }
        throw SocketError(operation: "no free port", code: EADDRINUSE)
    }

    private static func isFree(_ port: Int) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { _ = posixClose(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    /// A port the kernel picks (used where any free port will do).
    static func kernelAssigned() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SocketError(operation: "socket", code: errno) }
        defer { _ = posixClose(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw SocketError(operation: "bind", code: errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw SocketError(operation: "getsockname", code: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `count` distinct free ports.
    static func next(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        while ports.count < count {
            let port = try next()
            if !ports.contains(port) { ports.append(port) }
        }
        return ports
    }
}

// Free functions so the POSIX names do not resolve to the methods of `TestSocket`.
@inline(__always) private func posixConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t)
    -> Int32
{
    connect(fd, address, length)
}

@inline(__always) private func posixSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.send(fd, bytes, count, Int32(MSG_NOSIGNAL))
    #else
        Darwin.send(fd, bytes, count, 0)
    #endif
}

@inline(__always) private func posixClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
        Glibc.close(fd)
    #else
        Darwin.close(fd)
    #endif
}

/// Runs blocking work (sockets, waits) on a thread of its own so the cooperative pool stays free.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

extension TestSocket {
    /// Reads until the peer closes, as a slow client does: a pause of 80 ms after every 4 MB (at most ~50 MB/s).
    /// Returns the number of bytes read.
    func receiveAllSlowly() throws -> Int {
        var total = 0
        while true {
            let chunk = try self.receive(maximum: 256 * 1024)
            if chunk.isEmpty { return total }
            total += chunk.count
            if total % (4 * 1024 * 1024) < chunk.count { Thread.sleep(forTimeInterval: 0.08) }
        }
    }
}
