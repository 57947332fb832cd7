import CLua

/// The handle table of a state: live objects and the registry reference of their Lua table, in a slab of slots
/// reused through a free list (no hashing on the per-call lookup).
///
/// A handle is the slot's index in its low 32 bits and the slot's generation in its high 32 bits. Freeing a slot
/// bumps its generation, so a handle that a script kept after its object was invalidated never finds the slot's
/// next object. A slot whose generation is exhausted is retired instead of reused. Handle 0 is never issued.
struct LuaObjectTable {
    private struct Slot {
        var generation: UInt32
        var object: AnyObject?
        var tableReference: Int32
    }

    private var slots: [Slot] = []
    private var free: [UInt32] = []
    /// Number of live objects.
    private(set) var count = 0

    /// Takes a slot for a new object and returns its handle; `fill(_:object:tableReference:)` completes it, or
    /// `release(_:)` gives it back if the Lua side of the object could not be made.
    mutating func reserve() -> UInt64 {
        let index: UInt32
        if let reused = self.free.popLast() {
            index = reused
        } else {
            index = UInt32(self.slots.count)
            self.slots.append(Slot(generation: 1, object: nil, tableReference: LUA_NOREF))
        }
        return Self.handle(index: index, generation: self.slots[Int(index)].generation)
    }

    mutating func fill(_ handle: UInt64, object: AnyObject, tableReference: Int32) {
        let index = Int(truncatingIfNeeded: handle & 0xFFFF_FFFF)
        self.slots[index].object = object
        self.slots[index].tableReference = tableReference
        self.count += 1
    }

    /// The live object and table reference behind `handle`, if any.
    func slot(_ handle: UInt64) -> LuaObjectSlot? {
        let index = Int(truncatingIfNeeded: handle & 0xFFFF_FFFF)
        guard index < self.slots.count else { return nil }
        let slot = self.slots[index]
        guard slot.generation == UInt32(truncatingIfNeeded: handle >> 32), let object = slot.object else { return nil }
        return LuaObjectSlot(object: object, tableReference: slot.tableReference)
    }

    /// Ends the life of `handle`: returns what it held (nil if it was not live) and frees its slot.
    mutating func remove(_ handle: UInt64) -> LuaObjectSlot? {
        guard let live = self.slot(handle) else { return nil }
        self.count -= 1
        self.release(handle)
        return live
    }

    /// Frees the slot of `handle` (reserved or live) for reuse under the next generation.
    mutating func release(_ handle: UInt64) {
        let index = Int(truncatingIfNeeded: handle & 0xFFFF_FFFF)
        guard index < self.slots.count, self.slots[index].generation == UInt32(truncatingIfNeeded: handle >> 32) else {
            return
        }
        self.slots[index].object = nil
        self.slots[index].tableReference = LUA_NOREF
        guard self.slots[index].generation < UInt32.max else { return }  // retired: its handles stay dead
        self.slots[index].generation += 1
        self.free.append(UInt32(index))
    }

    private static func handle(index: UInt32, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(index)
    }
}
