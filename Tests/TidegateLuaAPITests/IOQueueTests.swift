import NIOCore
import Testing
import TidegateLua
import TidegateLuaAPI

/// `core.queue()`.
@Suite struct IOQueueTests {
    @Test func pushPopAndSize() async throws {
        try await IOTestHarness.with { harness in
            let outcome = try await harness.run(
                function: """
                    local q = core.queue()
                    local empty = q:pop()
                    local pushed = q:push("a")
                    q:push(2)
                    q:push({k="v"})
                    local size = q:size()
                    local a, b, c = q:pop(), q:pop(), q:pop()
                    local nilPush = select(2, pcall(q.push, q, nil))
                    return empty, pushed, size, a, b, c.k, q:size(), nilPush
                    """)
            let values = outcome.values
            #expect(values.count == 8, "\(outcome)")
            guard values.count == 8 else { return }
            #expect(Array(values[0..<7]) == [nil, true, 3, "a", 2, "v", 0])
            #expect(values[7].stringValue?.hasSuffix("unexpected argument") == true)
        }
    }

    @Test func popWaitWaitsForAnotherCoroutine() async throws {
        try await IOTestHarness.with { harness in
            try await harness.load(
                """
                q = core.queue()
                order = {}
                function consumer()
                    local first = q:pop_wait()
                    order[#order + 1] = "got " .. first
                    local second = q:pop_wait()
                    order[#order + 1] = "got " .. second.name
                    return first, second.name
                end
                function producer()
                    core.msleep(30)
                    order[#order + 1] = "push 1"
                    q:push("one")
                    core.msleep(30)
                    order[#order + 1] = "push 2"
                    q:push({name="two"})
                    return true
                end
                """)
            let start = ContinuousClock.now
            let outcomes = try await harness.run(["consumer", "producer"])
            #expect(ContinuousClock.now - start >= .milliseconds(55))
            #expect(outcomes == [.values(["one", "two"]), .values([true])])
            let order = try await harness.load("return table.concat(order, ',')")
            #expect(order == ["push 1,got one,push 2,got two"])
        }
    }

    @Test func twoWaitersSharePushes() async throws {
        try await IOTestHarness.with { harness in
            try await harness.load(
                """
                q = core.queue()
                function waiter() return q:pop_wait() end
                function pusher() core.msleep(10) q:push(1) core.yield() q:push(2) return q:size() end
                """)
            let outcomes = try await harness.run(["waiter", "waiter", "pusher"])
            let popped = outcomes[0..<2].compactMap { $0.values.first?.integerValue }.sorted()
            #expect(popped == [1, 2])
            #expect(outcomes[2] == .values([0]))
        }
    }

    @Test func popWaitIsRefusedWhereYieldsAreNot() async throws {
        try await IOTestHarness.with { harness in
            let result = try await harness.load("q = core.queue() return pcall(q.pop_wait, q)")
            #expect(result.first == false)
        }
    }
}
