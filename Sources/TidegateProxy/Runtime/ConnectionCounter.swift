import Synchronization

/// Current and total connections against a `maxconn`, with the admission control that pauses
/// accepting at the limit. Used process-wide and per frontend.
final class ConnectionCounter: Sendable {
    /// The limit; 0 = none.
    let maximum: Int
    let admission = AdmissionControl()
    private let current = Atomic<Int>(0)
    private let total = Atomic<Int>(0)

    init(maximum: Int) { self.maximum = maximum }

    var currentCount: Int { current.load(ordering: .relaxed) }
    var totalCount: Int { total.load(ordering: .relaxed) }

    /// Counts an accepted connection; at the limit, accepting pauses.
    func opened() {
        let now = current.wrappingAdd(1, ordering: .relaxed).newValue
        total.wrappingAdd(1, ordering: .relaxed)
        if maximum > 0 && now >= maximum { reevaluate() }
    }

    /// Counts a closed connection; below the limit, a pause is lifted.
    func closed() {
        let now = current.wrappingSubtract(1, ordering: .relaxed).newValue
        if maximum > 0 && now < maximum && admission.needsEvaluationOnClose { reevaluate() }
    }

    private func reevaluate() {
        admission.evaluate { current.load(ordering: .relaxed) >= maximum }
    }
}
