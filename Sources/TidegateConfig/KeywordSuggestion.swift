/// Finds the known keyword closest to a misspelt one, for "did you mean" hints.
enum KeywordSuggestion {
    /// The closest candidate within a small edit distance, or nil.
    static func closest<S: Sequence>(to word: String, in candidates: S) -> String? where S.Element == String {
        let target = Array(word.lowercased().utf8)
        guard target.count >= 2 else { return nil }
        let limit = target.count <= 4 ? 1 : (target.count <= 8 ? 2 : 3)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(target, Array(candidate.utf8))
            if distance <= limit, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// The end of an "unknown …" message: `; did you mean 'x' maybe ?` when a candidate is close,
    /// otherwise a plain `.`.
    static func ending<S: Sequence>(for word: String, in candidates: S) -> String where S.Element == String {
        guard let suggestion = closest(to: word, in: candidates) else { return "." }
        return "; did you mean '\(suggestion)' maybe ?"
    }

    private static func editDistance(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        if lhs.isEmpty { return rhs.count }
        if rhs.isEmpty { return lhs.count }
        var previous = Array(0...rhs.count)
        var current = [Int](repeating: 0, count: rhs.count + 1)
        for i in 1...lhs.count {
            current[0] = i
            for j in 1...rhs.count {
                let cost = lhs[i - 1] == rhs[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[rhs.count]
    }
}
