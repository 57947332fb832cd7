import Testing

@testable import TidegateSPOA

@Suite struct ListenAddressTests {
    @Test func parsesTheForms() {
        #expect(SPOAListenAddress(parsing: "12345") == .tcp(host: "0.0.0.0", port: 12345))
        #expect(SPOAListenAddress(parsing: "127.0.0.1:9000") == .tcp(host: "127.0.0.1", port: 9000))
        #expect(SPOAListenAddress(parsing: "[::1]:9000") == .tcp(host: "::1", port: 9000))
        #expect(SPOAListenAddress(parsing: "ipv4@127.0.0.1:0") == .tcp(host: "127.0.0.1", port: 0))
        #expect(SPOAListenAddress(parsing: "*:80") == .tcp(host: "0.0.0.0", port: 80))
        #expect(SPOAListenAddress(parsing: "unix@/tmp/a.sock") == .unix(path: "/tmp/a.sock"))
    }

    @Test func rejectsTheRest() {
        for text in ["", "unix@", "70000", "host", "host:", ":80", "[::1]80", "12a"] {
            #expect(SPOAListenAddress(parsing: text) == nil, "\(text)")
        }
    }
}
