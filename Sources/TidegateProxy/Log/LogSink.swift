import NIOCore
import NIOPosix
import TidegateConfig

#if canImport(Glibc)
import Glibc
#endif

/// One `log` target: where lines go and how they are framed (HAProxy's `format raw|rfc3164|rfc5424|short`).
final class LogSink: Sendable {
    private enum Output: Sendable {
        case fileDescriptor(Int32)
        case datagram(any Channel, SocketAddress)
    }

    private let output: Output
    private let target: LogTarget
    private let hostname: String
    private let pid: Int32

    private init(output: Output, target: LogTarget) {
        self.output = output
        self.target = target
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        self.hostname = String(cString: name)
        self.pid = getpid()
    }

    /// Opens the sink of `target`; UDP targets get a datagram channel on `eventLoop`.
    static func open(_ target: LogTarget, eventLoop: any EventLoop) async throws -> LogSink {
        switch target.destination {
        case .standardOutput:
            return LogSink(output: .fileDescriptor(STDOUT_FILENO), target: target)
        case .standardError:
            return LogSink(output: .fileDescriptor(STDERR_FILENO), target: target)
        case .fileDescriptor(let fd):
            return LogSink(output: .fileDescriptor(Int32(fd)), target: target)
        case .udp(let address):
            guard case .inet(let host, let port) = address else {
                throw LogSinkError(message: "unsupported log address \(address)")
            }
            let portNumber: Int
            if case .single(let p) = port { portNumber = p } else { portNumber = 514 }
            let destination: SocketAddress
            switch host {
            case .ipv4(let text), .ipv6(let text): destination = try SocketAddress(ipAddress: text, port: portNumber)
            case .hostname(let name): destination = try SocketAddress.makeAddressResolvingHost(name, port: portNumber)
            }
            let bindHost = destination.protocol == .inet6 ? "::" : "0.0.0.0"
            let channel = try await DatagramBootstrap(group: eventLoop).bind(host: bindHost, port: 0).get()
            return LogSink(output: .datagram(channel, destination), target: target)
        case .unixSocket(let path):
            let destination = try SocketAddress(unixDomainSocketPath: path)
            let channel = try await DatagramBootstrap(group: eventLoop)
                .bind(to: try SocketAddress(unixDomainSocketPath: "/tmp/tidegate-log-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"))
                .get()
            return LogSink(output: .datagram(channel, destination), target: target)
        }
    }

    /// Sends one log line (the message without framing) at `level`.
    func send(_ message: String, level: LogLevel, timestampMicros: Int64) {
        var level = level
        // `max`: less severe lines are dropped; `min`: more severe lines are sent at that level.
        if let maximum = target.maximumLevel, level > maximum { return }
        if let minimum = target.minimumLevel, level < minimum { level = minimum }
        var line = frame(message, level: level, timestampMicros: timestampMicros)
        if line.utf8.count > target.maximumLength {
            line = String(decoding: line.utf8.prefix(target.maximumLength), as: UTF8.self)
        }
        switch output {
        case .fileDescriptor(let fd):
            line.append("\n")
            line.withCString { pointer in
                _ = write(fd, pointer, strlen(pointer))
            }
        case .datagram(let channel, let destination):
            let buffer = channel.allocator.buffer(string: line)
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: buffer), promise: nil)
        }
    }

    private func frame(_ message: String, level: LogLevel, timestampMicros: Int64) -> String {
        let priority = target.facility.rawValue * 8 + level.rawValue
        switch target.format {
        case .raw:
            return message
        case .short:
            return "<\(level.rawValue)>\(message)"
        case .priority:
            return "<\(priority)>\(message)"
        case .rfc5424:
            return "<\(priority)>1 \(LogTime.iso8601(timestampMicros)) \(hostname) tidegate \(pid) - - \(message)"
        case .timed, .iso:
            return "\(LogTime.iso8601(timestampMicros)) \(message)"
        case .local:
            return "<\(priority)>\(LogTime.bsdSyslog(timestampMicros)) tidegate[\(pid)]: \(message)"
        case .rfc3164:
            return "<\(priority)>\(LogTime.bsdSyslog(timestampMicros)) tidegate[\(pid)]: \(message)"
        }
    }
}

struct LogSinkError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Timestamp layouts used by the log framings.
enum LogTime {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func components(_ micros: Int64) -> tm {
        var seconds = time_t(micros / 1_000_000)
        var result = tm()
        localtime_r(&seconds, &result)
        return result
    }

    /// `Nov 21 20:07:01` (RFC 3164).
    static func bsdSyslog(_ micros: Int64) -> String {
        let t = components(micros)
        let day = t.tm_mday < 10 ? " \(t.tm_mday)" : "\(t.tm_mday)"
        return "\(months[Int(t.tm_mon)]) \(day) \(pad(t.tm_hour)):\(pad(t.tm_min)):\(pad(t.tm_sec))"
    }

    /// `2026-11-21T20:07:01.123456+01:00` (RFC 5424).
    static func iso8601(_ micros: Int64) -> String {
        let t = components(micros)
        let offset = t.tm_gmtoff / 60
        let sign = offset < 0 ? "-" : "+"
        let fraction = String(micros % 1_000_000)
        let paddedFraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        return "\(t.tm_year + 1900)-\(pad(t.tm_mon + 1))-\(pad(t.tm_mday))T\(pad(t.tm_hour)):\(pad(t.tm_min)):"
            + "\(pad(t.tm_sec)).\(paddedFraction)\(sign)\(pad(Int32(abs(offset) / 60))):\(pad(Int32(abs(offset) % 60)))"
    }

    private static func pad(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
