import Synchronization

/// An index compiled from the entries of pattern references (a map's patterns and values, an ACL's patterns),
/// kept up to date with the changes made to them at run time.
///
/// Until a reference changes, `current` returns the index built at configuration time after one atomic load per
/// reference, with no lock. After a change, the first reader rebuilds the index from the new entries under a lock
/// (entries that no longer compile are skipped) and the next readers share it, taking that lock only to read the
/// reference to it.
final class LivePatternIndex<Index: AnyObject & Sendable>: Sendable {
    /// The index of the entries as loaded.
    let initial: Index
    private let references: [PatternReference]
    private let rebuild: @Sendable (_ entries: [[MapFile.Entry]]) -> Index
    private let latest = Mutex<(versions: [UInt64], index: Index)?>(nil)

    /// - Parameters:
    ///   - build: compiles the references' entries (in `references` order); throws only for the initial build.
    init(
        references: [PatternReference],
        build: @escaping @Sendable (_ entries: [[MapFile.Entry]], _ strict: Bool) throws(SampleCompileError) -> Index
    ) throws(SampleCompileError) {
        self.references = references
        self.initial = try build(references.map(\.file.entries), true)
        let initial = self.initial
        self.rebuild = { entries in
            // Not strict: entries that do not compile are skipped; keep the last index if it still fails.
            (try? build(entries, false)) ?? initial
        }
    }

    /// The index for the references' current entries.
    @inline(__always)
    var current: Index {
        for reference in references where reference.version != 0 { return rebuilt() }
        return initial
    }

    private func rebuilt() -> Index {
        latest.withLock { latest in
            if let latest, isCurrent(latest.versions) { return latest.index }
            let snapshots = references.map { $0.snapshot() }
            let index = rebuild(snapshots.map(\.entries))
            latest = (snapshots.map(\.version), index)
            return index
        }
    }

    private func isCurrent(_ versions: [UInt64]) -> Bool {
        for (position, reference) in references.enumerated() where reference.version != versions[position] {
            return false
        }
        return true
    }
}
