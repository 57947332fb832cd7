import NIOCore
import TidegateCore
import TidegateHTTP
import TidegateLua
import TidegateLuaAPI

/// A Lua state with `core`, the TXN classes and `act`, and one transaction on a parsed request.
final class TXNHarness {
    let state: LuaState
    let samples: SampleContext
    let transaction: LuaTransaction

    init(
        request: String? =
            "GET /index.html?a=1 HTTP/1.1\nHost: example.com\nAccept: text/html, */*\nX-Multi: one\nx-multi: two",
        response: String? = nil,
        isHTTP: Bool = true,
        context: LuaTransaction.Context = .action(.httpRequest),
        options: LuaAPIOptions = LuaAPIOptions(),
        fetches: SampleFetchRegistry = .standard,
        converters: SampleConverterRegistry = .standard
    ) throws {
        self.state = try LuaState()
        try CoreModule.install(in: self.state, environment: CoreEnvironment())
        try LuaTXNBindings.register(
            in: self.state, fetches: fetches, converters: converters, environment: .standard)
        self.samples = SampleContext(frontendName: "fe", processVariables: ProcessVariables())
        self.samples.request = request.map { TXNHarness.head($0, kind: .request) }
        self.samples.response = response.map { TXNHarness.head($0, kind: .response) }
        if case .action(let facility) = context, facility.isResponse { self.samples.direction = .response }
        let box = LogBox()
        self.logBox = box
        self.transaction = LuaTransaction(
            samples: self.samples, isHTTP: isHTTP, context: context, options: options,
            log: { level, message in box.entries.append((level, message)) })
    }

    final class LogBox {
        var entries: [(level: Int, message: String)] = []
    }
    let logBox: LogBox

    static func head(_ text: String, kind: HTTPHead.Kind) -> HTTPHead {
        var parser = HTTPHeadParser()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var buffer = ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n\r\n")
        guard let head = try? parser.parse(&buffer, kind: kind) else {
            preconditionFailure("test head does not parse: \(text)")
        }
        return head
    }

    /// Runs `body` as a function of `txn` (and `...` extra arguments), returning its results.
    @discardableResult
    func run(_ body: String, _ extra: [LuaValue] = []) throws -> [LuaValue] {
        let function = try self.state.load(chunk: "local txn = ...\n" + body, name: "test")
        let handle = try LuaTXNBindings.txn(for: self.transaction, in: self.state)
        return try function.call([.object(handle)] + extra)
    }

    /// The message of the error `body` raises (nil when it does not fail).
    func error(_ body: String) throws -> String? {
        do {
            try self.run(body)
            return nil
        } catch let error as LuaError {
            return error.message
        }
    }

    var requestText: String { self.samples.request.map { "\($0)" } ?? "" }
    var responseText: String { self.samples.response.map { "\($0)" } ?? "" }
}
