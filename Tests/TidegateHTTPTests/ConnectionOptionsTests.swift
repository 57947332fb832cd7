import Testing
import TidegateHTTP

@Suite("Connection options")
struct ConnectionOptionsTests {
    /// The options as `[close, keepAlive, upgrade]` (the struct has no public initializer to compare with).
    func options(_ fields: String, version: String = "HTTP/1.1") throws -> [Bool] {
        flags(try head("GET / \(version)\r\n\(fields)\r\n").connectionOptions)
    }

    func flags(_ o: HTTPConnectionOptions) -> [Bool] { [o.close, o.keepAlive, o.upgrade] }

    func opts(close: Bool = false, keepAlive: Bool = false, upgrade: Bool = false) -> [Bool] {
        [close, keepAlive, upgrade]
    }

    @Test func http11Defaults() throws {
        #expect(try options("") == opts())
        #expect(try options("Host: a\r\n") == opts())
    }

    @Test func http10DefaultsToClose() throws {
        #expect(try options("", version: "HTTP/1.0") == opts(close: true))
        #expect(try options("Connection: keep-alive\r\n", version: "HTTP/1.0") == opts(keepAlive: true))
        #expect(try options("Connection: Keep-Alive\r\n", version: "HTTP/1.0") == opts(keepAlive: true))
        #expect(try options("Connection: close\r\n", version: "HTTP/1.0") == opts(close: true))
        #expect(
            try options("Connection: keep-alive, close\r\n", version: "HTTP/1.0") == opts(close: true, keepAlive: true))
    }

    @Test func closeAndKeepAlive() throws {
        #expect(try options("Connection: close\r\n") == opts(close: true))
        #expect(try options("Connection: CLOSE\r\n") == opts(close: true))
        #expect(try options("connection:close\r\n") == opts(close: true))
        #expect(try options("Connection: keep-alive\r\n") == opts(keepAlive: true))
        #expect(try options("Connection: keep-alive, close\r\n") == opts(close: true, keepAlive: true))
        #expect(try options("Connection: keep-alive\r\nConnection: close\r\n") == opts(close: true, keepAlive: true))
        #expect(try options("Connection: te ,  close  , foo\r\n") == opts(close: true))
        #expect(try options("Connection: closed\r\n") == opts())
        #expect(try options("Connection: \r\n") == opts())
        #expect(try options("Connection: ,,\r\n") == opts())
        #expect(try options("X-Connection: close\r\n") == opts())
    }

    @Test func upgrade() throws {
        #expect(try options("Connection: Upgrade\r\nUpgrade: websocket\r\n") == opts(upgrade: true))
        #expect(try options("Upgrade: h2c\r\nConnection: upgrade, HTTP2-Settings\r\n") == opts(upgrade: true))
        #expect(
            try options("Connection: keep-alive, Upgrade\r\nupgrade: websocket\r\n")
                == opts(keepAlive: true, upgrade: true))
        #expect(try options("Connection: close, upgrade\r\nUpgrade: websocket\r\n") == opts(close: true, upgrade: true))
        // Connection: upgrade without an Upgrade field is not an upgrade.
        #expect(try options("Connection: upgrade\r\n") == opts())
        // An Upgrade field without the connection token neither.
        #expect(try options("Upgrade: websocket\r\n") == opts())
        #expect(
            try options("Connection: upgrade\r\nUpgrade: websocket\r\n", version: "HTTP/1.0")
                == opts(close: true, upgrade: true))
    }

    @Test func responseOptions() throws {
        let r = try head("HTTP/1.0 200 OK\r\n\r\n", .response)
        #expect(flags(r.connectionOptions) == opts(close: true))
        let k = try head(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", .response)
        #expect(flags(k.connectionOptions) == opts(upgrade: true))
    }
}
