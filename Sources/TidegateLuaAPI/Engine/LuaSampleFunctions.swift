import TidegateCore
import TidegateLua

/// `lua.<name>` sample fetches and converters (`core.register_fetches`, `core.register_converters`): they run to
/// completion in a coroutine that cannot yield (forced yields are skipped, a real yield fails with "yield not
/// allowed"), limited by `tune.lua.session-timeout` and the burst timeout. A failure gives no sample.
enum LuaSampleFunctions {
    /// Up to 12 string arguments, as HAProxy's code accepts.
    static let maximumArguments = 12

    static func fetch(name: String) -> SampleFetchDescriptor {
        SampleFetchDescriptor(
            name: "lua.\(name)", outputType: .any, maximumArguments: maximumArguments,
            fetch: { context, arguments in
                guard let runtime = context.scriptHost as? LuaLoopRuntime else { return nil }
                return runtime.runSampleFunction(name, kind: .fetch, input: nil, arguments: arguments, context: context)
            })
    }

    static func converter(name: String) -> SampleConverterDescriptor {
        SampleConverterDescriptor(
            name: "lua.\(name)", inputType: .any, outputType: .any, maximumArguments: maximumArguments,
            convert: { input, arguments, context in
                guard let runtime = context.scriptHost as? LuaLoopRuntime else { return nil }
                return runtime.runSampleFunction(
                    name, kind: .converter, input: input, arguments: arguments, context: context)
            })
    }
}

extension LuaLoopRuntime {
    func runSampleFunction(
        _ name: String, kind: LuaTransaction.Context, input: Sample?, arguments: [SampleArgument],
        context: SampleContext
    ) -> Sample? {
        let lookup = kind == .fetch
            ? self.engine.box(for: name, loop: self.index, in: { $0.fetches })
            : self.engine.box(for: name, loop: self.index, in: { $0.converters })
        guard let (box, function) = lookup else { return nil }
        let state = self.transactionState(for: context, isHTTP: context.request != nil, running: kind)
        let transaction = state.transaction
        let savedEnding = transaction.ending
        transaction.ending = nil
        transaction.doneValue = .nil
        defer { transaction.ending = savedEnding }
        let step: LuaRun.Step
        do {
            step = try box.withState { luaState throws(LuaError) -> LuaRun.Step in
                var values: [LuaValue] = []
                values.reserveCapacity(arguments.count + 1)
                if kind == .fetch {
                    values.append(.object(try LuaTXNBindings.txn(for: transaction, in: luaState)))
                } else {
                    values.append(input?.luaValue(options: transaction.options) ?? .nil)
                }
                for argument in arguments {
                    if case .string(let text) = argument { values.append(LuaValue(text)) }
                }
                let coroutine = try state.coroutine(for: function, in: box, forSamples: true)
                self.configure(coroutine, box: box, timeout: self.engine.configuration.sessionTimeout, yieldable: false)
                let run = LuaRun(
                    coroutine: coroutine, box: box, eventLoop: self.eventLoop, arguments: values,
                    transaction: transaction)
                // The lock is already held: step without taking it again.
                return run.stepHoldingLock()
            }
        } catch {
            self.logFailure(kind == .fetch ? "sample-fetch" : "converter", "lua.\(name)", error)
            return nil
        }
        switch step {
        case .finished(let values):
            if transaction.ending != nil { return transaction.doneValue.sample }
            return values.first?.sample
        case .failed(let error):
            self.logFailure(kind == .fetch ? "sample-fetch" : "converter", "lua.\(name)", error)
            return nil
        case .suspended:
            return nil
        }
    }
}
