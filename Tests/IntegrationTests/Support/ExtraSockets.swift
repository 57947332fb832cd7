import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Small socket helpers beyond ``TestSocket``: a UDP receiver (syslog targets), a listener that never
// accepts (a server that never answers), source-bound clients (other loopback addresses) and the
// local port of a connected ``TestSocket``.

private func ipv4Address(_ host: String, port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr(host)
    return address
}

private func bindIPv4(_ fd: Int32, host: String, port: Int) -> Int32 {
    var address = ipv4Address(host, port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

private func boundPort(_ fd: Int32) -> Int? {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return named == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
}

private func setTimeouts(_ fd: Int32, _ timeout: Duration) {
    let (seconds, attoseconds) = timeout.components
    var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
}

private func newSocket(_ type: Int32) -> Int32 {
    #if canImport(Glibc)
        socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
    #else
        socket(AF_INET, type, 0)
    #endif
}

#if canImport(Glibc)
    private let streamType = Int32(SOCK_STREAM.rawValue)
    private let datagramType = Int32(SOCK_DGRAM.rawValue)
#else
    private let streamType = SOCK_STREAM
    private let datagramType = SOCK_DGRAM
#endif

extension TestSocket {
    /// The local (client-side) port of this connection, as the peer sees it.
    var localPort: Int? { boundPort(fd) }
}

/// A UDP socket on 127.0.0.1 (kernel-assigned port) that receives datagrams, e.g. syslog lines.
final class UDPReceiver: @unchecked Sendable {
    private let fd: Int32
    let port: Int

    init() throws {
        fd = newSocket(datagramType)
        guard fd >= 0 else { throw SocketError(operation: "socket(udp)", code: errno) }
        guard bindIPv4(fd, host: "127.0.0.1", port: 0) == 0, let port = boundPort(fd) else {
            let code = errno
            _ = close(fd)
            throw SocketError(operation: "bind(udp)", code: code)
        }
        self.port = port
    }

    deinit { _ = close(fd) }

    /// The next datagram, or nil when none arrives within `timeout`. Blocking: call it via ``blocking(_:)``.
    func receive(timeout: Duration) throws -> [UInt8]? {
        setTimeouts(fd, timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(buffer[0..<count]) }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            throw SocketError(operation: "recv(udp)", code: errno)
        }
    }
}

/// A TCP listener on 127.0.0.1 that never accepts: the kernel completes handshakes into the backlog
/// and buffers what is sent, but nothing is ever answered and no connection is ever closed by it.
final class SilentListener: @unchecked Sendable {
    /// The listening descriptor (handed to tidegate as `fd@N` by one test).
    let fd: Int32
    let port: Int

    init() throws {
        fd = newSocket(streamType)
        guard fd >= 0 else { throw SocketError(operation: "socket", code: errno) }
        guard bindIPv4(fd, host: "127.0.0.1", port: 0) == 0, listen(fd, 64) == 0, let port = boundPort(fd) else {
            let code = errno
            _ = close(fd)
            throw SocketError(operation: "bind/listen", code: code)
        }
        self.port = port
    }

    deinit { _ = close(fd) }
}

/// HTTP/1.1 exchanges from a chosen loopback source address (127.0.0.x), for `balance source`.
enum SourceBoundHTTP {
    /// Sends `request` (which should carry `Connection: close`) from `source` to 127.0.0.1:`port`
    /// and returns everything received until the server closes. Blocking.
    static func exchange(port: Int, source: String, request: String, timeout: Duration = .seconds(5)) throws
        -> String
    {
        let fd = newSocket(streamType)
        guard fd >= 0 else { throw SocketError(operation: "socket", code: errno) }
        defer { _ = close(fd) }
        setTimeouts(fd, timeout)
        guard bindIPv4(fd, host: source, port: 0) == 0 else {
            throw SocketError(operation: "bind \(source)", code: errno)
        }
        var address = ipv4Address("127.0.0.1", port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw SocketError(operation: "connect from \(source)", code: errno) }
        let bytes = Array(request.utf8)
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
                let sent = bytes.withUnsafeBytes {
                    send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                }
            #else
                let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, 0) }
            #endif
            if sent < 0 {
                if errno == EINTR { continue }
                throw SocketError(operation: "send", code: errno)
            }
            offset += sent
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
                continue
            }
            if count == 0 { break }
            if errno == EINTR { continue }
            if errno == ECONNRESET { break }
            throw SocketError(operation: "recv", code: errno)
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// The `x-served-by` of the response to `GET path` sent from `source`.
    static func servedBy(port: Int, source: String, path: String = "/") throws -> String? {
        let text = try exchange(port: port, source: source, request: RawRequest.get(path, close: true))
        for line in text.components(separatedBy: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix("x-served-by:") {
                return line.dropFirst("x-served-by:".count).trimmingCharacters(in: .whitespaces)
            }
            if line.isEmpty { break }
        }
        return nil
    }
}
