import Logging
import NIOCore
import SPOP

/// The processing of one NOTIFY: its messages run one after the other through the handlers registered for
/// their names, collecting actions; messages without a handler are skipped. If a handler fails or times out,
/// the remaining messages are not run and the ACK goes out without actions. Confined to the worker's loop.
final class SPOANotifyJob {
    let notify: SPOPNotify
    let actions: SPOAActionBuffer
    private(set) var failed = false
    private unowned let worker: SPOAWorker
    private var messages: SPOPMessageList.Iterator
    private var current: SPOAHandlerRun?
    private var completion: ((SPOANotifyJob) -> Void)?

    init(notify: SPOPNotify, worker: SPOAWorker, allocator: ByteBufferAllocator) {
        self.notify = notify
        self.worker = worker
        self.actions = SPOAActionBuffer(allocator: allocator)
        self.messages = notify.messages.makeIterator()
    }

    /// Runs the handlers; `completion` is called once on the loop when the ACK can be written (possibly before
    /// this returns), unless the job is cancelled first.
    func start(completion: @escaping (SPOANotifyJob) -> Void) {
        self.completion = completion
        advance()
    }

    /// Abandons the job (its connection is gone): the running handler is stopped, nothing is reported.
    func cancel() {
        completion = nil
        current?.cancel()
        current = nil
    }

    private func advance() {
        while !failed, let message = messages.next() {
            let name = message.nameString
            guard let route = worker.routes[name] else {
                // Counted under their name up to a bound: a peer could send endless distinct names.
                let key = worker.statistics.messages.count < SPOAStatistics.maxMessageNames ? name : "(other)"
                worker.statistics.messages[key, default: .init()].received += 1
                worker.statistics.messages[key]!.unhandled += 1
                continue
            }
            worker.statistics.messages[name, default: .init()].received += 1
            var synchronous: SPOAHandlerOutcome?
            var returned = false
            let run = route.engine.start(handler: route.handler, message: message, actions: actions) { outcome in
                // Holds the job until the handler ends or is cancelled (`cancel` drops this closure).
                if !returned {
                    synchronous = outcome
                } else {
                    self.current = nil
                    self.record(outcome, name: name)
                    self.advance()
                }
            }
            returned = true
            if let outcome = synchronous {
                record(outcome, name: name)
                continue
            }
            current = run
            return
        }
        let completion = completion
        self.completion = nil
        completion?(self)
    }

    private func record(_ outcome: SPOAHandlerOutcome, name: String) {
        switch outcome {
        case .done:
            worker.statistics.messages[name]!.handled += 1
        case .failed(let description):
            worker.statistics.messages[name]!.errors += 1
            fail(name: name, reason: "failed", description)
        case .timedOut(let description):
            worker.statistics.messages[name]!.timeouts += 1
            fail(name: name, reason: "timed out", description)
        }
    }

    private func fail(name: String, reason: String, _ description: String) {
        failed = true
        actions.removeAll()
        worker.logger.warning(
            "handler of message '\(name)' \(reason); answering with an empty ACK: \(description)",
            metadata: ["tg.spoa.stream-id": "\(notify.streamID)", "tg.spoa.frame-id": "\(notify.frameID)"])
    }
}
