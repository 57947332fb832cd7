import NIOCore
import NIOSSL

/// The client TLS of the Lua I/O classes: the contexts (made once, off the event loops: creating one may read CA
/// files), the per-connection handler, and the texts of TLS errors.
public enum LuaTLS {
    /// `Socket:connect_ssl`: no certificate verification and no SNI, as HAProxy's internal Lua SSL socket server
    /// (`ssl verify none`). Nil only if BoringSSL cannot make a context.
    public static let socketContext: NIOSSLContext? = try? NIOSSLContext(
        configuration: {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return configuration
        }())

    /// Why an `httpclient.ssl.*` setting cannot be used.
    public struct CAError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The context of `core.httpclient()` https requests: `verify` (`httpclient.ssl.verify required`) checks the
    /// server's certificate chain and name against `caFile` (`httpclient.ssl.ca-file`, PEM), or the system's CA
    /// bundle without one. Throws when the CA cannot be loaded.
    public static func httpClientContext(verify: Bool, caFile: String?) throws(CAError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        let source = caFile ?? "@system-ca"
        if verify {
            configuration.certificateVerification = .fullVerification
            if let caFile {
                let certificates: [NIOSSLCertificate]
                do {
                    certificates = try NIOSSLCertificate.fromPEMFile(caFile)
                } catch {
                    throw CAError(description: "cannot load the CA file '\(caFile)': \(error)")
                }
                guard !certificates.isEmpty else {
                    throw CAError(description: "no certificate in the CA file '\(caFile)'")
                }
                configuration.trustRoots = .certificates(certificates)
            } else {
                configuration.trustRoots = .default
            }
        } else {
            configuration.certificateVerification = .none
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw CAError(description: "cannot initialize SSL verify with 'ca-file \"\(source)\"': \(error)")
        }
    }

    /// A client handler for one connection; `serverName` is the SNI, left out for an IP address (which SNI cannot
    /// carry) or nil.
    static func clientHandler(context: NIOSSLContext, serverName: String?) throws -> NIOSSLClientHandler {
        var name = serverName
        if let host = name, host.isEmpty || (try? SocketAddress(ipAddress: host, port: 0)) != nil {
            name = nil
        }
        return try NIOSSLClientHandler(context: context, serverHostname: name)
    }

    /// The text of a TLS error, or nil for other errors. A peer closing without `close_notify` is "closed".
    static func describe(_ error: Error) -> String? {
        switch error {
        case NIOSSLError.uncleanShutdown:
            return "closed"
        case NIOSSLError.handshakeFailed(let failure):
            return "SSL handshake failure (\(failure))"
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            return "SSL error (\(error))"
        default:
            return nil
        }
    }
}
