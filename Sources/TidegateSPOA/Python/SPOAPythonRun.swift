import NIOCore

/// A Python handler call seen from the loop: finished by its result, its timeout, or its cancellation,
/// whichever comes first.
final class SPOAPythonRun: SPOAHandlerRun {
    let call = SPOAPythonCall()
    private var timer: Scheduled<Void>?
    private let host: SPOAPythonHost
    private let actions: SPOAActionBuffer
    private var completion: ((SPOAHandlerOutcome) -> Void)?

    init(host: SPOAPythonHost, actions: SPOAActionBuffer, completion: @escaping (SPOAHandlerOutcome) -> Void) {
        self.host = host
        self.actions = actions
        self.completion = completion
    }

    func finish(_ result: SPOAPythonHost.Result) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        if result.outcome == .done {
            actions.append(encoded: result.actions, count: result.count)
        }
        completion(result.outcome)
    }

    func startTimer(_ timeout: Duration, on loop: any EventLoop) {
        guard completion != nil else { return }
        timer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(timeout / .nanoseconds(1)))) {
            self.timeOut(after: timeout)
        }
    }

    /// The ACK goes out empty now; the handler thread gets a `TimeoutError` to stop it.
    func timeOut(after timeout: Duration) {
        guard let completion else { return }
        self.completion = nil
        host.interrupt(call)
        completion(.timedOut("Python handler still running after \(timeout)"))
    }

    func cancel() {
        completion = nil
        timer?.cancel()
    }
}
