import Testing

@testable import TidegateConfig

@Suite struct ConfigAddressTests {
    func parse(_ text: String, _ usage: ConfigAddress.Usage) throws -> ConfigAddress {
        try ConfigAddress.parse(text, usage: usage).get()
    }

    @Test func bindForms() throws {
        #expect(try parse("127.0.0.1:80", .bind) == .inet(host: .ipv4("127.0.0.1"), port: .single(80)))
        #expect(try parse("*:443", .bind) == .inet(host: .ipv4("0.0.0.0"), port: .single(443)))
        #expect(try parse(":8080", .bind) == .inet(host: .ipv4("0.0.0.0"), port: .single(8080)))
        #expect(try parse("[::1]:80", .bind) == .inet(host: .ipv6("::1"), port: .single(80)))
        #expect(try parse("2001:db8::1:80", .bind) == .inet(host: .ipv6("2001:db8::1"), port: .single(80)))
        #expect(try parse(":::80", .bind) == .inet(host: .ipv6("::"), port: .single(80)))
        #expect(try parse("ipv6@:80", .bind) == .inet(host: .ipv6("::"), port: .single(80)))
        #expect(try parse("ipv4@10.1.2.3:81", .bind) == .inet(host: .ipv4("10.1.2.3"), port: .single(81)))
        #expect(try parse("10.0.0.1:8000-8010", .bind) == .inet(host: .ipv4("10.0.0.1"), port: .range(8000...8010)))
        #expect(try parse("unix@/run/t.sock", .bind) == .unix(path: "/run/t.sock"))
        #expect(try parse("/run/t.sock", .bind) == .unix(path: "/run/t.sock"))
        #expect(try parse("fd@3", .bind) == .fileDescriptor(3))
        #expect(try parse("localhost:80", .bind) == .inet(host: .hostname("localhost"), port: .single(80)))
        #expect(try parse(":0", .bind) == .inet(host: .ipv4("0.0.0.0"), port: .single(0)))
    }

    @Test func badBindAddresses() {
        let cases: [(String, String)] = [
            ("127.0.0.1", "missing port number in '127.0.0.1'"),
            ("1.2.3.4:99999", "invalid port '99999' in '1.2.3.4:99999'"),
            ("1.2.3.4:90-80", "invalid port range '90-80' in '1.2.3.4:90-80'"),
            ("abns@foo", "abstract namespace sockets ('abns@foo') are not supported"),
            ("1.2.3.400:80", "invalid address '1.2.3.400' in '1.2.3.400:80'"),
            ("foo@1.2.3.4:80", "unknown address family 'foo@' in 'foo@1.2.3.4:80'"),
            ("ipv4@[::1]:80", "'::1' is not an IPv4 address in 'ipv4@[::1]:80'"),
            ("fd@x", "invalid file descriptor in 'fd@x'"),
        ]
        for (text, message) in cases {
            #expect(ConfigAddress.parse(text, usage: .bind) == .failure(ConfigValueError(message)), "\(text)")
        }
    }

    @Test func serverForms() throws {
        #expect(try parse("10.0.0.1", .server) == .inet(host: .ipv4("10.0.0.1"), port: nil))
        #expect(try parse("10.0.0.1:8080", .server) == .inet(host: .ipv4("10.0.0.1"), port: .single(8080)))
        #expect(try parse("app.internal:8080", .server) == .inet(host: .hostname("app.internal"), port: .single(8080)))
        #expect(try parse("[2001:db8::2]", .server) == .inet(host: .ipv6("2001:db8::2"), port: nil))
        #expect(try parse("10.0.0.1:+1000", .server) == .inet(host: .ipv4("10.0.0.1"), port: .offset(1000)))
        #expect(throws: ConfigValueError.self) { try parse("10.0.0.1:80-90", .server) }
        #expect(throws: ConfigValueError.self) { try parse("fd@3", .server) }
        #expect(throws: ConfigValueError.self) { try parse(":80", .server) }
    }

    @Test func descriptions() throws {
        #expect(try parse("[::1]:80", .bind).description == "[::1]:80")
        #expect(try parse("unix@/x", .bind).description == "unix@/x")
        #expect(try parse("1.2.3.4:80-81", .bind).description == "1.2.3.4:80-81")
    }
}
