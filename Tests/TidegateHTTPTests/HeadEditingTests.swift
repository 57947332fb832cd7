import NIOCore
import Testing
import TidegateHTTP

@Suite("Editing and writing heads")
struct HeadEditingTests {
    static let base = "GET /a?b HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\nAccept: */*\r\n\r\n"

    @Test func uneditedHeadIsWrittenVerbatim() throws {
        let odd = "GET /x HTTP/1.1\r\nhOsT:   example  \r\nX-Empty:\r\nx-TAB:\tv\t\r\nNo-Space:v\r\n\r\n"
        let h = try head(odd)
        #expect(!h.isModified)
        #expect(written(h) == odd)
        #expect(h.description == odd)
        #expect(h.name(at: 0) == "hOsT")
        #expect(h.value(at: 0) == "example")

        let lf = "POST /y HTTP/1.0\nContent-Length:3\n\n"
        #expect(written(try head(lf)) == lf)

        let response = "HTTP/1.1 200   spaced  reason \r\nServer:  s \r\n\r\n"
        let r = try head(response, .response)
        #expect(r.reason == "  spaced  reason ")
        #expect(written(r) == response)
    }

    @Test func writeAppendsToExistingBuffer() throws {
        let h = try head("GET / HTTP/1.1\r\n\r\n")
        var out = ByteBuffer(string: "prefix|")
        h.write(to: &out)
        #expect(out.readString(length: out.readableBytes) == "prefix|GET / HTTP/1.1\r\n\r\n")
    }

    @Test func addField() throws {
        var h = try head(Self.base)
        h.add(name: "X-B", value: "2")
        #expect(h.isModified)
        #expect(h.fields.count == 5)
        #expect(h.firstValue(named: "x-b") == "2")
        #expect(h.field(4, isNamed: "X-B"))
        #expect(
            written(h) == "GET /a?b HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\nAccept: */*\r\nX-B: 2\r\n\r\n")
        #expect(h.description == written(h))
        h.add(name: "X-Empty", value: "")
        #expect(written(h).hasSuffix("X-B: 2\r\nX-Empty: \r\n\r\n"))
    }

    @Test func setFieldReplacesAllOccurrencesAtTheEnd() throws {
        var h = try head(Self.base)
        h.set(name: "X-A", value: "9")
        #expect(h.fullValues(named: "x-a") == ["9"])
        #expect(written(h) == "GET /a?b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nX-A: 9\r\n\r\n")
        var fresh = try head(Self.base)
        fresh.set(name: "New", value: "v")
        #expect(written(fresh).hasSuffix("Accept: */*\r\nNew: v\r\n\r\n"))
    }

    @Test func removeByName() throws {
        var h = try head(Self.base)
        #expect(h.remove(named: "nothing") == 0)
        #expect(!h.isModified)
        #expect(written(h) == Self.base)
        #expect(h.remove(named: "X-a") == 2)
        #expect(h.isModified)
        #expect(written(h) == "GET /a?b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
        #expect(h.remove(named: "host") == 1)
        #expect(h.remove(named: "accept") == 1)
        #expect(h.fields.isEmpty)
        #expect(written(h) == "GET /a?b HTTP/1.1\r\n\r\n")
    }

    @Test func removeByIndex() throws {
        var h = try head(Self.base)
        h.remove(at: [])
        #expect(!h.isModified)
        h.remove(at: [0, 2])
        #expect(fieldPairs(h) == [["X-A", "1"], ["Accept", "*/*"]])
        #expect(written(h) == "GET /a?b HTTP/1.1\r\nX-A: 1\r\nAccept: */*\r\n\r\n")
    }

    @Test func setValueAtIndex() throws {
        var h = try head(Self.base)
        h.setValue(at: 1, to: "one")
        h.setValue(at: 1, to: "uno")
        #expect(h.value(at: 1) == "uno")
        #expect(h.name(at: 1) == "X-A")
        #expect(written(h) == "GET /a?b HTTP/1.1\r\nHost: x\r\nX-A: uno\r\nx-a: 2\r\nAccept: */*\r\n\r\n")
    }

    @Test func startLineEdits() throws {
        var h = try head(Self.base)
        h.setMethod("POST")
        #expect(h.method == "POST")
        #expect(h.methodIs("POST"))
        #expect(written(h).hasPrefix("POST /a?b HTTP/1.1\r\n"))

        h.setPath("/new/path")
        #expect(h.target == "/new/path?b")
        #expect(h.path == "/new/path")
        #expect(h.query == "b")

        h.setQuery("x=1&y=2")
        #expect(h.target == "/new/path?x=1&y=2")
        h.setQuery(nil)
        #expect(h.target == "/new/path")
        #expect(h.query == nil)
        h.setQuery("z")
        #expect(h.target == "/new/path?z")
        h.setQuery("")
        #expect(h.target == "/new/path")
        h.setPath("/p")
        #expect(h.target == "/p")

        h.setTarget("/t?u=v")
        #expect(h.path == "/t")
        #expect(h.query == "u=v")
        #expect(written(h) == "POST /t?u=v HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\nAccept: */*\r\n\r\n")
    }

    @Test func setPathKeepsSchemeAndAuthorityOfAbsoluteForm() throws {
        var h = try head("GET http://h:81/p?q HTTP/1.1\r\n\r\n")
        h.setPath("/new")
        #expect(h.target == "http://h:81/new?q")
        #expect(h.path == "/new")
        var noPath = try head("GET http://h HTTP/1.1\r\n\r\n")
        noPath.setPath("/x")
        #expect(noPath.target == "http://h/x")
        h.setQuery("r")
        #expect(h.target == "http://h:81/new?r")
    }

    @Test func setStatus() throws {
        var r = try head("HTTP/1.1 200 OK\r\nServer: s\r\n\r\n", .response)
        r.setStatus(404)
        #expect(r.status == 404)
        #expect(r.reason == "Not Found")
        #expect(written(r) == "HTTP/1.1 404 Not Found\r\nServer: s\r\n\r\n")
        r.setStatus(299, reason: "Custom Thing")
        #expect(r.status == 299)
        #expect(written(r) == "HTTP/1.1 299 Custom Thing\r\nServer: s\r\n\r\n")
        r.setStatus(598)
        #expect(r.reason == "Server Error")
        r.setStatus(200, reason: "")
        #expect(written(r) == "HTTP/1.1 200 \r\nServer: s\r\n\r\n")
        // The rewritten head parses back.
        let back = try head(written(r), .response)
        #expect(back.status == 200)
    }

    @Test func setVersionMinor() throws {
        var h = try head("GET / HTTP/1.0\r\n\r\n")
        h.setVersionMinor(1)
        #expect(h.versionMinor == 1)
        #expect(h.versionString == "HTTP/1.1")
        #expect(written(h) == "GET / HTTP/1.1\r\n\r\n")
        var r = try head("HTTP/1.1 200 OK\r\n\r\n", .response)
        r.setVersionMinor(0)
        #expect(r.versionMinor == 0)
        #expect(written(r) == "HTTP/1.0 200 OK\r\n\r\n")
    }

    @Test func editedHeadUsesCanonicalSeparators() throws {
        var h = try head("GET / HTTP/1.1\nA:1\nB:   2  \n\n")
        h.add(name: "C", value: "3")
        #expect(written(h) == "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")
    }

    @Test func editedHeadParsesBack() throws {
        var h = try head(Self.base)
        h.add(name: "X-Forwarded-For", value: "192.0.2.1")
        h.remove(named: "accept")
        h.setValue(at: 0, to: "example.org")
        h.setMethod("PUT")
        let output = written(h)
        let back = try head(output)
        #expect(back.method == "PUT")
        #expect(back.target == "/a?b")
        #expect(
            fieldPairs(back) == [
                ["Host", "example.org"], ["X-A", "1"], ["x-a", "2"], ["X-Forwarded-For", "192.0.2.1"],
            ])
        #expect(written(back) == output)
    }

    @Test func editsAreValueSemantic() throws {
        let original = try head(Self.base)
        var copy = original
        copy.add(name: "X", value: "y")
        copy.setMethod("DELETE")
        #expect(!original.isModified)
        #expect(written(original) == Self.base)
        #expect(original.fields.count == 4)
        #expect(copy.fields.count == 5)
    }

    @Test func lookupsSeeEditedFields() throws {
        var h = try head("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n")
        h.set(name: "Connection", value: "close")
        #expect(h.connectionOptions.close)
        #expect(h.hasToken("close", inFieldNamed: "connection"))
        h.add(name: "Transfer-Encoding", value: "chunked")
        #expect(requestFraming(&h) == .success(.chunked))
    }
}
