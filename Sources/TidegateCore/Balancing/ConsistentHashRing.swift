/// A consistent-hash ring: each server gets points proportional to its weight, so adding or
/// removing a server only moves the keys that hashed near its points (HAProxy's `hash-type consistent`).
public struct ConsistentHashRing: Sendable {
    /// Points per unit of weight.
    public static let pointsPerWeight = 16

    private var points: [(hash: UInt32, server: Int)] = []

    /// Builds the ring over `servers` (indexes into the backend's list) with their weights.
    public init(servers: [(index: Int, id: Int, weight: Int)]) {
        for server in servers where server.weight > 0 {
            for replica in 0..<(server.weight * Self.pointsPerWeight) {
                let key = UInt32(truncatingIfNeeded: server.id) &* 0x9E37_79B9 &+ UInt32(replica) &* 0x85EB_CA6B
                points.append((HashFunction.avalanche(key), server.index))
            }
        }
        points.sort { $0.hash < $1.hash }
    }

    public var isEmpty: Bool { points.isEmpty }

    /// Walks the ring clockwise from `hash` and returns the first server accepted by `accept`.
    public func lookup(_ hash: UInt32, accept: (Int) -> Bool) -> Int? {
        guard !points.isEmpty else { return nil }
        var low = 0
        var high = points.count
        while low < high {
            let mid = (low + high) / 2
            if points[mid].hash < hash { low = mid + 1 } else { high = mid }
        }
        var tried = 0
        var i = low % points.count
        var rejected = Set<Int>()
        while tried < points.count {
            let server = points[i].server
            if !rejected.contains(server) {
                if accept(server) { return server }
                rejected.insert(server)
            }
            i = (i + 1) % points.count
            tried += 1
        }
        return nil
    }
}
