import Testing

@testable import TidegateCore

@Suite("Sample expression parsing")
struct SampleExpressionTests {
    func failure(_ text: String) -> SampleCompileError? {
        do {
            _ = try SampleExpression(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func outputTypes() throws {
        #expect(try SampleExpression("path").outputType == .str)
        #expect(try SampleExpression("path,length").outputType == .sint)
        #expect(try SampleExpression("src").outputType == .addr)
        #expect(try SampleExpression("req.hdr_cnt(x)").outputType == .sint)
        #expect(try SampleExpression("var(txn.x)").outputType == .any)
        #expect(try SampleExpression("path,set-var(txn.p)").outputType == .str)
        #expect(try SampleExpression("method").outputType == .meth)
    }

    @Test func errors() {
        #expect(failure("foo")?.code == .unknownFetch)
        #expect(failure("foo")?.message == "unknown fetch method 'foo'")
        #expect(failure("path,bar")?.code == .unknownConverter)
        #expect(failure("path,bar")?.message == "unknown converter 'bar'")
        #expect(failure("req.hdr(host")?.code == .syntax)
        #expect(failure("env")?.code == .missingArgument)
        #expect(failure("env")?.message.contains("missing arguments") == true)
        #expect(failure("path(x)")?.code == .invalidArgument)
        #expect(failure("req.hdr(host,abc)")?.code == .invalidArgument)
        #expect(failure("int(abc)")?.code == .invalidArgument)
        #expect(failure("var(foo.bar)")?.code == .invalidArgument)
        #expect(failure("path lower")?.code == .syntax)
        #expect(failure("")?.code == .syntax)
        #expect(failure("path,")?.code == .syntax)
    }

    @Test func quotedArguments() throws {
        let context = makeContext()
        #expect(try string("str('a,b(c)')", context) == "a,b(c)")
        #expect(try string("str(\"x\\\"y\")", context) == "x\"y")
        #expect(try string("str(a\\,b)", context) == "a,b")
        #expect(try string("str(a b)", context) == "a b")
    }

    @Test func customFetchRegistration() throws {
        var environment = SampleCompileEnvironment.standard
        environment.fetches.register(
            SampleFetchDescriptor(
                name: "lua.answer", outputType: .sint, maximumArguments: 1, argumentKinds: [.integer],
                fetch: { _, args in .sint(42 + (args[0].integerValue ?? 0)) }))
        environment.converters.register(
            SampleConverterDescriptor(name: "lua.twice", inputType: .sint, outputType: .sint) { input, _, _ in
                guard case .sint(let v) = input else { return nil }
                return .sint(v * 2)
            })
        let expression = try SampleExpression("lua.answer(1),lua.twice", environment: environment)
        #expect(expression.evaluate(in: makeContext()) == .sint(86))
        #expect(failure("lua.answer")?.code == .unknownFetch)
    }
}
