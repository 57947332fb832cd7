import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Creates listening sockets by hand, so the process knows their descriptors: they are handed to
/// NIO (`withBoundSocket`) and, on a reload, passed to the next process (`ListenerHandoff`).
enum ListeningSocket {
    struct Failure: Error, CustomStringConvertible {
        var operation: String
        var code: Int32
        var description: String { "\(operation): \(String(cString: strerror(code)))" }
    }

    /// A key naming what a socket listens on, used to match inherited sockets: `inet:<ip>:<port>`
    /// or `unix:<path>`.
    static func key(for address: SocketAddress) -> String {
        switch address {
        case .v4, .v6: return "inet:\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .unixDomainSocket: return "unix:\(address.pathname ?? "")"
        }
    }

    /// A TCP socket bound to `address` with SO_REUSEADDR and SO_REUSEPORT, listening.
    static func makeInet(_ address: SocketAddress, backlog: Int) throws -> Int32 {
        let family = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(operation: "socket", code: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockAddr { pointer, size in bind(fd, pointer, socklen_t(size)) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw Failure(operation: "bind", code: code)
        }
        guard listen(fd, Int32(backlog)) == 0 else {
            let code = errno
            close(fd)
            throw Failure(operation: "listen", code: code)
        }
        return fd
    }

    /// A unix stream socket at `path` (an existing socket file is replaced), listening.
    static func makeUnix(path: String, mode: Int?, backlog: Int) throws -> Int32 {
        let address = try SocketAddress(unixDomainSocketPath: path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(operation: "socket", code: errno) }
        var status = stat()
        if lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
        let bound = address.withSockAddr { pointer, size in bind(fd, pointer, socklen_t(size)) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw Failure(operation: "bind", code: code)
        }
        if let mode { chmod(path, mode_t(mode)) }
        guard listen(fd, Int32(backlog)) == 0 else {
            let code = errno
            close(fd)
            throw Failure(operation: "listen", code: code)
        }
        return fd
    }

    /// The local address of a socket descriptor.
    static func localAddress(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        return try? SocketAddress(sockaddrStorage: storage)
    }
}

extension SocketAddress {
    /// Builds an address from a `sockaddr_storage` filled by the kernel.
    init(sockaddrStorage storage: sockaddr_storage) throws {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            }
            self = SocketAddress(address, host: "")
        case AF_INET6:
            let address = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
            }
            self = SocketAddress(address, host: "")
        case AF_UNIX:
            let address = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { $0.pointee }
            }
            self = SocketAddress(address)
        default:
            throw ListeningSocket.Failure(operation: "getsockname", code: EAFNOSUPPORT)
        }
    }
}
