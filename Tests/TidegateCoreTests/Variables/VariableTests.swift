import Testing
import TidegateConfig

@testable import TidegateCore

@Suite("Variables")
struct VariableTests {
    func name(_ text: String) throws -> VariableName { try VariableName.parse(text).get() }

    @Test func scopesLiveAsLongAsHAProxys() throws {
        let context = makeContext(request: "GET / HTTP/1.1\nHost: a")
        for scope in ["sess", "txn", "req", "res"] {
            context.setVariable(try name("\(scope).v"), to: .string(scope))
        }
        #expect(context.variable(try name("sess.v")) == .string("sess"))
        #expect(context.variable(try name("req.v")) == .string("req"))
        context.variables.endRequest()
        #expect(context.variable(try name("req.v")) == nil)
        #expect(context.variable(try name("txn.v")) == .string("txn"))
        context.resetForNextRequest()
        #expect(context.variable(try name("txn.v")) == nil)
        #expect(context.variable(try name("res.v")) == nil)
        #expect(context.variable(try name("sess.v")) == .string("sess"))
        #expect(context.request == nil)
        context.setVariable(try name("sess.v"), to: nil)
        #expect(context.variable(try name("sess.v")) == nil)
    }

    @Test func processScopeIsShared() throws {
        let shared = ProcessVariables()
        let a = SampleContext(frontendName: "a", processVariables: shared)
        let b = SampleContext(frontendName: "b", processVariables: shared)
        a.setVariable(try name("proc.count"), to: .sint(3))
        #expect(b.variable(try name("proc.count")) == .sint(3))
        #expect(try SampleExpression("var(proc.count),add(1)").evaluate(in: b) == .sint(4))
        b.resetForNextRequest()
        #expect(a.variable(try name("proc.count")) == .sint(3))
        shared.removeAll()
        #expect(a.variable(try name("proc.count")) == nil)
    }

    @Test func storedValuesAreDetachedFromTheHead() throws {
        let context = makeContext(request: "GET / HTTP/1.1\nHost: original")
        let host = try #require(try SampleExpression("req.hdr(host)").evaluate(in: context))
        context.setVariable(try name("sess.host"), to: host)
        context.editCurrentHead { $0.set(name: "Host", value: "changed") }
        #expect(try string("req.hdr(host)", context) == "changed")
        #expect(context.variable(try name("sess.host"))?.stringValue == "original")
    }

    @Test func editCurrentHeadFollowsDirection() throws {
        let context = makeContext(request: "GET / HTTP/1.1\nHost: a", response: "HTTP/1.1 200 OK\nServer: x")
        context.direction = .response
        context.editCurrentHead { $0.add(name: "X-Added", value: "1") }
        #expect(try string("res.hdr(x-added)", context) == "1")
        #expect(try evaluate("req.hdr(x-added)", context) == nil)
    }
}
