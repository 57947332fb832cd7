import NIOCore
import NIOPosix
import TidegateLua
import TidegateLuaAPI

/// Runs Lua code with the I/O bindings on one NIO event loop, resuming coroutines as the engine's scheduler does:
/// a `LuaAwait` when its future completes (with its values), `CoreRequest.sleep` after the delay, forced and script
/// yields at once. Everything Lua happens on the loop.
final class IOTestHarness: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What a coroutine ended with: its values, or its error message.
    enum Outcome: Equatable, Sendable {
        case values([LuaValue])
        case error(String)

        var values: [LuaValue] {
            if case .values(let values) = self { return values }
            return []
        }
    }

    /// The Lua side, confined to the loop.
    final class LuaSide {
        let state: LuaState

        init(options: LuaIOOptions) throws {
            self.state = try LuaState()
            var core = try CoreModule.make(for: self.state, environment: CoreEnvironment())
            let handles = Box()
            try LuaIOBindings.register(in: self.state, core: &core, options: options) { handles.values.append($0) }
            try self.state.setGlobal("core", module: core)
            self.collected = handles
        }

        private let collected: Box
        final class Box { var values: [LuaObjectHandle] = [] }

        /// Invalidates every object made so far (as the engine does when a task or transaction ends).
        func invalidateAll() {
            for handle in self.collected.values {
                self.state.invalidate(handle)
            }
            self.collected.values.removeAll()
        }
    }

    let group: MultiThreadedEventLoopGroup
    let loop: EventLoop
    private let side: NIOLoopBound<LuaSide>

    init(options: LuaIOOptions = LuaIOOptions(), threads: Int = 1) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let loop = group.next()
        self.group = group
        self.loop = loop
        self.side = try await loop.submit { NIOLoopBound(try LuaSide(options: options), eventLoop: loop) }.get()
    }

    /// Runs `chunk` to completion at load time (no yields), e.g. to define the functions to run.
    @discardableResult
    func load(_ chunk: String) async throws -> [LuaValue] {
        let side = self.side
        return try await self.loop.submit { try side.value.state.run(chunk: chunk, name: "load") }.get()
    }

    /// Runs each global function named in `entries` in its own coroutine, all at once, and returns their outcomes
    /// in order. Fails if one takes longer than `limit`.
    func run(_ entries: [String], limit: TimeAmount = .seconds(3)) async throws -> [Outcome] {
        let side = self.side
        let loop = self.loop
        let outcomes = try await loop.flatSubmit { () -> EventLoopFuture<[Outcome]> in
            let futures: [EventLoopFuture<Outcome>]
            do {
                futures = try entries.map { name -> EventLoopFuture<Outcome> in
                    let values = try side.value.state.run(chunk: "return \(name)", name: "entry")
                    guard let function = values.first?.functionValue else { throw Failure(description: "no \(name)") }
                    let coroutine = try LuaCoroutine(function)
                    let promise = loop.makePromise(of: Outcome.self)
                    Self.step(NIOLoopBound(coroutine, eventLoop: loop), arguments: [], on: loop, promise: promise)
                    return promise.futureResult
                }
            } catch {
                return loop.makeFailedFuture(error)
            }
            let result = loop.makePromise(of: [Outcome].self)
            let timeout = loop.scheduleTask(in: limit) {
                result.fail(Failure(description: "Lua code took too long"))
            }
            EventLoopFuture.whenAllSucceed(futures, on: loop).always { _ in timeout.cancel() }.cascade(to: result)
            return result.futureResult
        }.get()
        return outcomes
    }

    /// Runs `source` as the body of a function in a coroutine and returns its outcome.
    func run(function source: String, limit: TimeAmount = .seconds(3)) async throws -> Outcome {
        try await self.load("function test_main()\n\(source)\nend")
        return try await self.run(["test_main"], limit: limit)[0]
    }

    private static func step(
        _ coroutine: NIOLoopBound<LuaCoroutine>, arguments: [LuaValue], on loop: EventLoop,
        promise: EventLoopPromise<Outcome>
    ) {
        switch coroutine.value.resume(arguments: arguments) {
        case .finished(let values):
            promise.succeed(.values(values))
        case .failed(let error):
            promise.succeed(.error(error.message))
        case .yielded(.forced), .yielded(.script):
            loop.execute { Self.step(coroutine, arguments: [], on: loop, promise: promise) }
        case .yielded(.request(let request)):
            if let wait = request as? LuaAwait {
                wait.future.whenComplete { result in
                    switch result {
                    case .success(let values): Self.step(coroutine, arguments: values, on: loop, promise: promise)
                    case .failure(let error):
                        Self.step(coroutine, arguments: [.nil, LuaValue("\(error)")], on: loop, promise: promise)
                    }
                }
            } else if case .sleep(let milliseconds)? = request as? CoreRequest {
                loop.scheduleTask(in: .milliseconds(milliseconds)) {
                    Self.step(coroutine, arguments: [], on: loop, promise: promise)
                }
            } else if case .yield? = request as? CoreRequest {
                loop.execute { Self.step(coroutine, arguments: [], on: loop, promise: promise) }
            } else {
                promise.succeed(.error("unexpected request \(request)"))
            }
        }
    }

    /// Invalidates every object the Lua code made.
    func invalidateAll() async throws {
        let side = self.side
        try await self.loop.submit { side.value.invalidateAll() }.get()
    }

    /// Releases the Lua objects, then the event loop.
    func shutdown() async throws {
        try await self.invalidateAll()
        try await self.group.shutdownGracefully()
    }
}

extension IOTestHarness {
    /// `withHarness { harness in ... }`: always shuts the loop down.
    static func with<T>(
        options: LuaIOOptions = LuaIOOptions(), threads: Int = 1, _ body: (IOTestHarness) async throws -> T
    ) async throws -> T {
        let harness = try await IOTestHarness(options: options, threads: threads)
        do {
            let result = try await body(harness)
            try await harness.shutdown()
            return result
        } catch {
            try? await harness.shutdown()
            throw error
        }
    }
}
