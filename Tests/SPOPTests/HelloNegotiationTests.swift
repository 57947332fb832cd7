import NIOCore
import SPOP
import Testing

@Suite("HELLO negotiation")
struct HelloNegotiationTests {
    func negotiate(_ hello: SPOPHAProxyHello, _ configuration: SPOPConfiguration = SPOPConfiguration()) -> Result<
        SPOPAgentHello, SPOPError
    > {
        do throws(SPOPError) {
            return .success(try SPOPAgentHello(negotiating: hello, configuration: configuration))
        } catch {
            return .failure(error)
        }
    }

    func status(_ hello: SPOPHAProxyHello, _ configuration: SPOPConfiguration = SPOPConfiguration()) -> SPOPStatus? {
        if case .failure(let error) = negotiate(hello, configuration) { return error.status }
        return nil
    }

    @Test("HAProxy 2.6: version 2.0, its size, pipelining; fragmentation announced; async only if configured")
    func haproxy26() throws {
        let hello = try SPOPHAProxyHello(payload: try frame(hex: Vectors.hello26).payload)
        #expect(
            try negotiate(hello).get()
                == SPOPAgentHello(version: "2.0", maxFrameSize: 16380, capabilities: [.pipelining, .fragmentation]))
        let withAsync = SPOPConfiguration(capabilities: [.pipelining, .fragmentation, .async])
        #expect(try negotiate(hello, withAsync).get().capabilities == [.pipelining, .fragmentation, .async])
        let bare = SPOPConfiguration(capabilities: [])
        #expect(try negotiate(hello, bare).get().capabilities == [])
    }

    @Test("HAProxy 3.4 offers no async: not announced even if configured")
    func haproxy34() throws {
        let hello = try SPOPHAProxyHello(payload: try frame(hex: Vectors.hello34).payload)
        let configuration = SPOPConfiguration(capabilities: [.pipelining, .async])
        #expect(try negotiate(hello, configuration).get().capabilities == [.pipelining])
    }

    @Test("health check: answered like any HELLO")
    func healthCheck() throws {
        let hello = try SPOPHAProxyHello(payload: try frame(hex: Vectors.helloHealthCheck).payload)
        #expect(try negotiate(hello).get() == SPOPAgentHello(maxFrameSize: 16380, capabilities: [.fragmentation]))
    }

    @Test(
        "max-frame-size is the smaller of both, at least 256",
        arguments: [
            (4096, 16380, 4096), (65532, 16380, 16380), (16380, 300, 300), (16380, 100, 256), (256, 16380, 256),
            (UInt32.max, 65536, 65536),
        ] as [(UInt32, Int, UInt32)])
    func maxFrameSize(theirs: UInt32, ours: Int, expected: UInt32) throws {
        let result = negotiate(SPOPHAProxyHello(maxFrameSize: theirs), SPOPConfiguration(maxFrameSize: ours))
        #expect(try result.get().maxFrameSize == expected)
    }

    @Test("refusals and their statuses")
    func refusals() {
        #expect(status(SPOPHAProxyHello(supportedVersions: nil)) == .versionNotFound)
        #expect(status(SPOPHAProxyHello(supportedVersions: "1.0")) == .unsupportedVersion)
        #expect(status(SPOPHAProxyHello(maxFrameSize: nil)) == .maxFrameSizeNotFound)
        #expect(status(SPOPHAProxyHello(maxFrameSize: 255)) == .badMaxFrameSize)
        #expect(status(SPOPHAProxyHello(maxFrameSize: 0)) == .badMaxFrameSize)
        #expect(status(SPOPHAProxyHello(capabilities: nil)) == .capabilitiesNotFound)
        #expect(status(SPOPHAProxyHello()) == nil)
    }

    @Test(
        "versions: a comma-separated list of MAJOR.MINOR, spaces allowed",
        arguments: [
            ("2.0", true), (" 2.0 ", true), ("1.0,2.0", true), ("1.0, 2.0", true), ("2.0,3.0", true), ("2.00", true),
            ("1.0", false), ("2", false), ("2.", false), (".0", false), ("2.0.1", false), ("2.1", false),
            ("v2.0", false),
            ("", false), ("2 .0", false), ("2.1000", false), ("3.0", false),
        ])
    func versions(list: String, accepted: Bool) {
        #expect(status(SPOPHAProxyHello(supportedVersions: list)) == (accepted ? nil : .unsupportedVersion))
    }

    /// A HELLO payload from raw items.
    func hello(_ items: [SPOPKVItem]) throws -> SPOPHAProxyHello {
        try SPOPHAProxyHello(payload: SPOPKVList(items).bytes)
    }

    @Test("item types: sizes as any integer type, wrong types count as missing, unknown keys ignored")
    func itemTypes() throws {
        let versions = SPOPKVItem("supported-versions", SPOPTypedData(string: "2.0"))
        let capabilities = SPOPKVItem("capabilities", SPOPTypedData(string: "pipelining"))
        for size in [SPOPTypedData.int32(4096), .uint32(4096), .int64(4096), .uint64(4096)] {
            let h = try hello([versions, SPOPKVItem("max-frame-size", size), capabilities])
            #expect(try negotiate(h).get().maxFrameSize == 4096)
        }
        let negative = try hello([versions, SPOPKVItem("max-frame-size", .int64(-1)), capabilities])
        #expect(status(negative) == .badMaxFrameSize)
        let huge = try hello([versions, SPOPKVItem("max-frame-size", .uint64(.max)), capabilities])
        #expect(try negotiate(huge).get().maxFrameSize == 16380)
        let stringSize = try hello([
            versions, SPOPKVItem("max-frame-size", SPOPTypedData(string: "4096")), capabilities,
        ])
        #expect(status(stringSize) == .maxFrameSizeNotFound)
        let binaryVersion = try hello([
            SPOPKVItem("supported-versions", SPOPTypedData(binary: Array("2.0".utf8))),
            SPOPKVItem("max-frame-size", .uint32(4096)), capabilities,
        ])
        #expect(status(binaryVersion) == .versionNotFound)
        let extra = try hello([
            SPOPKVItem("future-key", .ipv6(SPOPIPv6Address(high: 1, low: 2))), versions,
            SPOPKVItem("max-frame-size", .uint32(4096)), SPOPKVItem("capabilities", SPOPTypedData(string: "")),
            SPOPKVItem("healthcheck", .bool(false)), SPOPKVItem("engine-id", SPOPTypedData(string: "e")),
        ])
        #expect(!extra.isHealthCheck && extra.engineID == "e")
        #expect(try negotiate(extra).get() == SPOPAgentHello(maxFrameSize: 4096, capabilities: [.fragmentation]))
    }

    @Test("a malformed HELLO payload is an invalid frame")
    func malformed() {
        #expect(caught { try SPOPHAProxyHello(payload: buffer(hex: "12 7375")) }?.status == .invalidFrame)
        #expect(caught { try SPOPHAProxyHello(payload: buffer(hex: "01 61 0c")) }?.status == .invalidFrame)
    }

    @Test(
        "capabilities lists",
        arguments: [
            ("pipelining,async", [.pipelining, .async]), ("pipelining, async", [.pipelining, .async]),
            (" pipelining ,foo,async ", [.pipelining, .async]), ("", []), ("PIPELINING", []),
            ("fragmentation", [.fragmentation]), (",,pipelining,", [.pipelining]), ("pipe lining", [.pipelining]),
        ] as [(String, SPOPCapabilities)])
    func capabilities(list: String, expected: SPOPCapabilities) {
        #expect(SPOPCapabilities(parsing: list) == expected)
    }

    @Test("capabilities are written in a fixed order")
    func capabilitiesText() {
        #expect(
            SPOPCapabilities([.async, .pipelining, .fragmentation]).description == "pipelining,fragmentation,async")
        #expect(SPOPCapabilities().description == "")
    }
}
