import NIOCore
import TidegateLua

/// `core.register_task` functions: each runs in its own coroutine on an event loop, may sleep and do I/O, and is
/// limited by `tune.lua.task-timeout` (none by default) and the burst timeout. A failing task ends; the error is
/// logged. Its only events are `Queue:alarm()` pushes: a task in `core.wait()` without a delay waits for one, with
/// no timer and no CPU use, for as long as it takes.
final class LuaTask: LuaEventTarget {
    private let run: LuaRun
    private let runtime: LuaLoopRuntime
    private var onEnd: ((LuaTask) -> Void)?

    init(run: LuaRun, runtime: LuaLoopRuntime, onEnd: @escaping (LuaTask) -> Void) {
        self.run = run
        self.runtime = runtime
        self.onEnd = onEnd
    }

    var eventLoop: any EventLoop { self.runtime.eventLoop }

    func start() {
        self.run.onReady = { [unowned self] in self.step() }
        self.run.context = self
        self.step()
    }

    func event() {
        self.run.event()
    }

    private func step() {
        switch self.run.step() {
        case .suspended:
            return
        case .finished:
            self.end()
        case .failed(let error):
            self.runtime.logFailure("task", "task", error)
            self.end()
        }
    }

    private func end() {
        self.run.onReady = nil
        let onEnd = self.onEnd
        self.onEnd = nil
        onEnd?(self)
    }

    func cancel() {
        self.run.cancel()
        self.onEnd = nil
    }
}

extension LuaLoopRuntime {
    /// Starts the tasks registered at load time: a per-thread state's on its own loop, the shared state's on the
    /// first loop. Also lets scripts start tasks at runtime from this loop. Call on the loop.
    public func startTasks() {
        var boxes: [LuaStateBox] = []
        if let shared = self.engine.shared, self.index == 0 { boxes.append(shared) }
        if !self.engine.perThread.isEmpty {
            boxes.append(self.engine.perThread[self.index % self.engine.perThread.count])
        }
        for box in boxes {
            for task in box.registrations.tasks {
                self.startTask(task, in: box)
            }
        }
        if !self.engine.perThread.isEmpty {
            let box = self.engine.perThread[self.index % self.engine.perThread.count]
            box.registrations.startRuntimeTask = { [unowned self, unowned box] task in
                self.eventLoop.assumeIsolated().execute { self.startTask(task, in: box) }
            }
        }
    }

    func startTask(_ task: LuaRegistrations.Task, in box: LuaStateBox) {
        let run: LuaRun
        do {
            run = try box.withState { _ throws(LuaError) -> LuaRun in
                let coroutine = try LuaCoroutine(task.function)
                self.configure(coroutine, box: box, timeout: self.engine.configuration.taskTimeout, yieldable: true)
                return LuaRun(
                    coroutine: coroutine, box: box, eventLoop: self.eventLoop, arguments: task.arguments,
                    transaction: nil)
            }
        } catch {
            self.logFailure("task", "task", error)
            return
        }
        let luaTask = LuaTask(run: run, runtime: self) { [unowned self] ended in
            self.tasks.removeValue(forKey: ObjectIdentifier(ended))
        }
        self.tasks[ObjectIdentifier(luaTask)] = luaTask
        luaTask.start()
    }
}
