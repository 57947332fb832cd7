import Synchronization

/// A map or pattern file as loaded, plus the changes made to it at run time (HAProxy's pattern reference,
/// `pat_ref`): the entries every ACL, map converter and Lua `Map` using the file looks keys up in.
///
/// Changes (`core.add_acl`, `core.set_map`... from Lua, `add map`, `del acl`... from the runtime API) take a lock
/// and bump `version`; readers compare the version with the one their index was built from (one atomic load) and
/// rebuild it when it moved (`LivePatternIndex`). Each entry has an id that stays the same while it exists (the
/// runtime API's `#<ref>`).
public final class PatternReference: Sendable {
    /// The file as read at configuration time.
    public let file: MapFile
    /// Whether lines are `key value` (a map) or whole patterns (an ACL `-f` file).
    public let isMap: Bool
    private let stored: Mutex<Entries>
    private let changes = Atomic<UInt64>(0)

    /// The entries in order, each with its id.
    private struct Entries {
        var list: [MapFile.Entry]
        var ids: [UInt64]
        var nextID: UInt64

        mutating func append(_ entry: MapFile.Entry) {
            list.append(entry)
            ids.append(nextID)
            nextID += 1
        }

        mutating func replaceValue(ofKey key: String, with value: String) -> Bool {
            var found = false
            for index in list.indices where list[index].key == key {
                list[index] = MapFile.Entry(key: key, value: value, line: list[index].line)
                found = true
            }
            return found
        }

        mutating func removeAll(where shouldRemove: (MapFile.Entry, UInt64) -> Bool) -> Bool {
            var keptList: [MapFile.Entry] = []
            var keptIDs: [UInt64] = []
            for (entry, id) in zip(list, ids) where !shouldRemove(entry, id) {
                keptList.append(entry)
                keptIDs.append(id)
            }
            defer {
                list = keptList
                ids = keptIDs
            }
            return keptList.count != list.count
        }
    }

    public init(file: MapFile, isMap: Bool) {
        self.file = file
        self.isMap = isMap
        let count = UInt64(file.entries.count)
        self.stored = Mutex(Entries(list: file.entries, ids: (0..<count).map { $0 + 1 }, nextID: count + 1))
    }

    public var path: String { file.path }

    /// Counts the changes made since loading (0: the entries are the file's).
    public var version: UInt64 { changes.load(ordering: .acquiring) }

    /// The entries now, and the version they are at.
    public func snapshot() -> (version: UInt64, entries: [MapFile.Entry]) {
        stored.withLock { (changes.load(ordering: .relaxed), $0.list) }
    }

    /// The entries now with their ids (the runtime API's `show map <file>`).
    public func listing() -> [(id: UInt64, entry: MapFile.Entry)] {
        stored.withLock { Array(zip($0.ids, $0.list)) }
    }

    /// Adds `key` (with `value` for a map) after the existing entries, unless `onlyIfAbsent` and the key exists
    /// (`core.add_acl`).
    public func add(key: String, value: String = "", onlyIfAbsent: Bool = false) {
        change { entries in
            if onlyIfAbsent, entries.list.contains(where: { $0.key == key }) { return false }
            entries.append(MapFile.Entry(key: key, value: value, line: 0))
            return true
        }
    }

    /// Sets the value of every entry with `key`, or adds one when there is none (`core.set_map`).
    public func set(key: String, value: String) {
        change { entries in
            if !entries.replaceValue(ofKey: key, with: value) {
                entries.append(MapFile.Entry(key: key, value: value, line: 0))
            }
            return true
        }
    }

    /// Sets the value of every entry with `key` (the runtime API's `set map`). Returns whether one had the key.
    @discardableResult
    public func replaceValue(ofKey key: String, with value: String) -> Bool {
        change { entries in entries.replaceValue(ofKey: key, with: value) }
    }

    /// Sets the value of the entry with id `id` (`set map <file> #<ref> <value>`). Returns whether it exists.
    @discardableResult
    public func replaceValue(ofEntry id: UInt64, with value: String) -> Bool {
        change { entries in
            guard let index = entries.ids.firstIndex(of: id) else { return false }
            let old = entries.list[index]
            entries.list[index] = MapFile.Entry(key: old.key, value: value, line: old.line)
            return true
        }
    }

    /// Removes every entry with `key` (`core.del_acl`, `core.del_map`, `del map`). Returns whether one was removed.
    @discardableResult
    public func delete(key: String) -> Bool {
        change { entries in entries.removeAll { entry, _ in entry.key == key } }
    }

    /// Removes the entry with id `id` (`del map <file> #<ref>`). Returns whether it existed.
    @discardableResult
    public func delete(entry id: UInt64) -> Bool {
        change { entries in entries.removeAll { _, entryID in entryID == id } }
    }

    /// Removes every entry (`clear map`, `clear acl`).
    public func removeAll() {
        change { entries in
            guard !entries.list.isEmpty else { return false }
            entries.list.removeAll()
            entries.ids.removeAll()
            return true
        }
    }

    /// Applies `body` under the lock; bumps the version when it reports a change.
    @discardableResult
    private func change(_ body: (inout Entries) -> Bool) -> Bool {
        stored.withLock { entries in
            guard body(&entries) else { return false }
            changes.wrappingAdd(1, ordering: .releasing)
            return true
        }
    }
}
