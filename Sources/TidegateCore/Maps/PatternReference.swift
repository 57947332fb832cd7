import Synchronization

/// A map or pattern file as loaded, plus the changes made to it at run time (HAProxy's pattern reference,
/// `pat_ref`): the entries every ACL, map converter and Lua `Map` using the file looks keys up in.
///
/// Changes (`core.add_acl`, `core.set_map`... from Lua) take a lock and bump `version`; readers compare the version
/// with the one their index was built from (one atomic load) and rebuild it when it moved (`LivePatternIndex`).
public final class PatternReference: Sendable {
    /// The file as read at configuration time.
    public let file: MapFile
    /// Whether lines are `key value` (a map) or whole patterns (an ACL `-f` file).
    public let isMap: Bool
    private let entries: Mutex<[MapFile.Entry]>
    private let changes = Atomic<UInt64>(0)

    public init(file: MapFile, isMap: Bool) {
        self.file = file
        self.isMap = isMap
        self.entries = Mutex(file.entries)
    }

    public var path: String { file.path }

    /// Counts the changes made since loading (0: the entries are the file's).
    public var version: UInt64 { changes.load(ordering: .acquiring) }

    /// The entries now, and the version they are at.
    public func snapshot() -> (version: UInt64, entries: [MapFile.Entry]) {
        entries.withLock { (changes.load(ordering: .relaxed), $0) }
    }

    /// Adds `key` (with `value` for a map) after the existing entries, unless `onlyIfAbsent` and the key exists
    /// (`core.add_acl`).
    public func add(key: String, value: String = "", onlyIfAbsent: Bool = false) {
        change { list in
            if onlyIfAbsent, list.contains(where: { $0.key == key }) { return false }
            list.append(MapFile.Entry(key: key, value: value, line: 0))
            return true
        }
    }

    /// Sets the value of every entry with `key`, or adds one when there is none (`core.set_map`).
    public func set(key: String, value: String) {
        change { list in
            var found = false
            for index in list.indices where list[index].key == key {
                list[index] = MapFile.Entry(key: key, value: value, line: list[index].line)
                found = true
            }
            if !found { list.append(MapFile.Entry(key: key, value: value, line: 0)) }
            return true
        }
    }

    /// Removes every entry with `key` (`core.del_acl`, `core.del_map`). Returns whether one was removed.
    @discardableResult
    public func delete(key: String) -> Bool {
        change { list in
            let before = list.count
            list.removeAll { $0.key == key }
            return list.count != before
        }
    }

    /// Applies `body` under the lock; bumps the version when it reports a change.
    @discardableResult
    private func change(_ body: (inout [MapFile.Entry]) -> Bool) -> Bool {
        entries.withLock { list in
            guard body(&list) else { return false }
            changes.wrappingAdd(1, ordering: .releasing)
            return true
        }
    }
}
