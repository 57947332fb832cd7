import NIOCore
import TidegateCore
import TidegateHTTP

/// Parses a request head written with `\n` line ends.
func makeRequest(_ text: String) -> HTTPHead {
    var parser = HTTPHeadParser()
    var buffer = ByteBuffer(string: text.replacingOccurrences("\n", "\r\n") + "\r\n\r\n")
    return try! parser.parse(&buffer, kind: .request)!
}

/// Parses a response head written with `\n` line ends.
func makeResponse(_ text: String) -> HTTPHead {
    var parser = HTTPHeadParser()
    var buffer = ByteBuffer(string: text.replacingOccurrences("\n", "\r\n") + "\r\n\r\n")
    return try! parser.parse(&buffer, kind: .response)!
}

/// A context for frontend `fe` with a client 192.0.2.10:51000 connected to 10.0.0.1:8080.
func makeContext(request: String? = nil, response: String? = nil) -> SampleContext {
    let context = SampleContext(
        frontendName: "fe",
        clientAddress: try! SocketAddress(ipAddress: "192.0.2.10", port: 51000),
        localAddress: try! SocketAddress(ipAddress: "10.0.0.1", port: 8080),
        processVariables: ProcessVariables())
    context.request = request.map(makeRequest)
    context.response = response.map(makeResponse)
    context.environment = { name in ["TG_TEST": "hello", "EMPTY": ""][name] }
    context.clock = { 1_700_000_000_123_456 }
    return context
}

/// Compiles and evaluates `expression`.
func evaluate(_ expression: String, _ context: SampleContext) throws -> Sample? {
    try SampleExpression(expression).evaluate(in: context)
}

/// Compiles and evaluates `expression`, returning the result as a string.
func string(_ expression: String, _ context: SampleContext) throws -> String? {
    try SampleExpression(expression).evaluate(in: context)?.stringValue
}

/// Compiles and evaluates `expression`, returning the result as an integer.
func integer(_ expression: String, _ context: SampleContext) throws -> Int64? {
    try SampleExpression(expression).evaluate(in: context)?.integerValue
}

/// All values `expression` produces in ACL (iterating) mode, as strings.
func allValues(_ expression: String, _ context: SampleContext) throws -> [String] {
    var values: [String] = []
    try SampleExpression(expression).forEachValue(in: context) { sample in
        values.append(sample.stringValue ?? "<\(sample)>")
        return false
    }
    return values
}

/// The absolute path of a fixture file next to the tests.
func fixture(_ name: String, file: String = #filePath) -> String {
    var directory = file
    while let slash = directory.lastIndex(of: "/") {
        directory = String(directory[..<slash])
        if directory.hasSuffix("TidegateCoreTests") { break }
    }
    return directory + "/Fixtures/" + name
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
