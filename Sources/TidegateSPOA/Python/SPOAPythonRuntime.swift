import CTidegatePython
import Foundation

#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import SPOP
import Synchronization

/// A reference to a Python object that may be handed between threads. Only touch the object with the GIL held.
struct PythonObject: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<PyObject>
}

/// The process's one CPython interpreter (Debian's libpython3), with the built-in module `spoa`.
///
/// Python is initialized once per process, without its signal handlers (the agent owns SIGTERM, SIGINT and
/// SIGUSR1), and the GIL is released right after: every use goes through `withGIL`, from any thread
/// (`PyGILState_Ensure`). Handlers run on the threads of an `SPOAPythonHost`, never on the event loops.
final class SPOAPythonRuntime: @unchecked Sendable {
    private static let instance = Mutex<Result<SPOAPythonRuntime, SPOAScriptError>?>(nil)

    /// The runtime, initializing Python on first use.
    static func shared() throws(SPOAScriptError) -> SPOAPythonRuntime {
        let result = instance.withLock { instance in
            if let instance { return instance }
            let made = Result { () throws(SPOAScriptError) -> SPOAPythonRuntime in try SPOAPythonRuntime() }
            instance = made
            return made
        }
        return try result.get()
    }

    let ipv4Class: PythonObject
    let ipv6Class: PythonObject
    let emptyTuple: PythonObject
    /// `traceback.format_exception` (set once while initializing, with the GIL held).
    nonisolated(unsafe) private static var formatException: PythonObject?

    /// The scripts being loaded, the script running and the thread running it (set with the GIL held by `load`):
    /// where `spoa.register_message` records. Loads are serialized by `loadLock`; a script may release the GIL
    /// (imports do), so registration also checks that it comes from the loading thread.
    nonisolated(unsafe) private static var loadingState: (scripts: SPOAPythonScripts, path: String, thread: UInt)?
    private let loadLock = Mutex(())

    /// Where a `spoa.register_message` call made now (GIL held) records, nil outside a script's load.
    static var loading: (scripts: SPOAPythonScripts, path: String)? {
        guard let state = loadingState, state.thread == PyThread_get_thread_ident() else { return nil }
        return (state.scripts, state.path)
    }

    private init() throws(SPOAScriptError) {
        guard tg_py_register_spoa_module(SPOAPythonModule.methods) == 0 else {
            throw SPOAScriptError(path: "python", message: "cannot register the spoa module")
        }
        Py_InitializeEx(0)
        func attribute(_ module: String, _ name: String) throws(SPOAScriptError) -> PythonObject {
            guard let imported = PyImport_ImportModule(module) else {
                throw SPOAScriptError(path: "python", message: "cannot import \(module): \(Self.takeException())")
            }
            defer { tg_py_decref(imported) }
            guard let value = PyObject_GetAttrString(imported, name) else {
                throw SPOAScriptError(path: "python", message: "no \(module).\(name): \(Self.takeException())")
            }
            return PythonObject(pointer: value)
        }
        do throws(SPOAScriptError) {
            ipv4Class = try attribute("ipaddress", "IPv4Address")
            ipv6Class = try attribute("ipaddress", "IPv6Address")
            Self.formatException = try attribute("traceback", "format_exception")
            _ = try attribute("spoa", "error")
        } catch {
            _ = PyEval_SaveThread()
            throw error
        }
        emptyTuple = PythonObject(pointer: PyTuple_New(0))
        // Let every other thread take the GIL.
        _ = PyEval_SaveThread()
    }

    /// Runs `body` holding the GIL (any thread).
    func withGIL<T>(_ body: () throws -> T) rethrows -> T {
        let state = PyGILState_Ensure()
        defer { PyGILState_Release(state) }
        return try body()
    }

    /// `withGIL` for the long-lived handler threads: the thread keeps its Python thread state from one call to
    /// the next (created by the first `PyGILState_Ensure`, then parked with `PyEval_SaveThread`), so a call
    /// does not create and destroy one, and `threading.local` data survives between calls on that thread.
    func withHandlerThreadGIL<T>(_ body: () -> T) -> T {
        if let parked = pthread_getspecific(Self.parkedStateKey) {
            PyEval_RestoreThread(parked.assumingMemoryBound(to: PyThreadState.self))
        } else {
            _ = PyGILState_Ensure()  // never released: the thread state lives as long as the thread
        }
        let result = body()
        pthread_setspecific(Self.parkedStateKey, PyEval_SaveThread())
        return result
    }

    private static let parkedStateKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    // MARK: Loading

    /// Runs the scripts in order in `__main__` (as HAProxy's example agent does), each with its directory on
    /// `sys.path`; returns the handlers they registered.
    func load(_ paths: [String]) throws(SPOAScriptError) -> SPOAPythonScripts {
        try loadLock.withLock { _ throws(SPOAScriptError) -> SPOAPythonScripts in
            let scripts = SPOAPythonScripts()
            let state = PyGILState_Ensure()
            defer { PyGILState_Release(state) }
            defer { Self.loadingState = nil }
            for path in paths {
                Self.loadingState = (scripts, path, PyThread_get_thread_ident())
                try run(path)
            }
            return scripts
        }
    }

    private func run(_ path: String) throws(SPOAScriptError) {
        guard var source = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else {
            throw SPOAScriptError(path: path, message: "cannot read the file")
        }
        source.append(0)

        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        if let sysPath = PySys_GetObject("path"), let entry = PyUnicode_FromString(directory) {
            if PySequence_Contains(sysPath, entry) == 0 { PyList_Insert(sysPath, 0, entry) }
            tg_py_decref(entry)
        }
        PyErr_Clear()
        let compiled = source.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { Py_CompileString($0.baseAddress, path, Py_file_input) }
        }
        guard let code = compiled else {
            throw SPOAScriptError(path: path, message: Self.takeException())
        }
        defer { tg_py_decref(code) }
        let main = PyImport_AddModule("__main__")!
        let globals = PyModule_GetDict(main)!
        if let file = PyUnicode_FromString(path) {
            PyDict_SetItemString(globals, "__file__", file)
            tg_py_decref(file)
        }
        guard let result = PyEval_EvalCode(code, globals, globals) else {
            throw SPOAScriptError(path: path, message: Self.takeException())
        }
        tg_py_decref(result)
    }

    // MARK: Errors

    /// Takes the pending exception and formats it with its traceback (`traceback.format_exception`).
    static func takeException() -> String {
        var type: UnsafeMutablePointer<PyObject>?
        var value: UnsafeMutablePointer<PyObject>?
        var traceback: UnsafeMutablePointer<PyObject>?
        PyErr_Fetch(&type, &value, &traceback)
        guard type != nil else { return "unknown error" }
        PyErr_NormalizeException(&type, &value, &traceback)
        defer {
            tg_py_xdecref(type)
            tg_py_xdecref(value)
            tg_py_xdecref(traceback)
        }
        if let value, let traceback { PyException_SetTraceback(value, traceback) }
        if let formatter = formatException, let arguments = PyTuple_New(3) {
            defer { tg_py_decref(arguments) }
            for (index, item) in [type!, value ?? tg_py_none(), traceback ?? tg_py_none()].enumerated() {
                tg_py_incref(item)
                PyTuple_SetItem(arguments, index, item)  // steals the reference
            }
            if let lines = PyObject_Call(formatter.pointer, arguments, nil) {
                defer { tg_py_decref(lines) }
                if let separator = PyUnicode_FromString(""), let joined = PyUnicode_Join(separator, lines) {
                    defer {
                        tg_py_decref(separator)
                        tg_py_decref(joined)
                    }
                    if let text = string(joined) { return text.hasSuffix("\n") ? String(text.dropLast()) : text }
                }
            }
        }
        PyErr_Clear()
        if let value, let text = PyObject_Str(value) {
            defer { tg_py_decref(text) }
            return string(text) ?? "exception"
        }
        return String(cString: tg_py_type_name(type!))
    }

    /// The UTF-8 text of a `str`.
    static func string(_ object: UnsafeMutablePointer<PyObject>) -> String? {
        var length = 0
        guard let bytes = PyUnicode_AsUTF8AndSize(object, &length) else {
            PyErr_Clear()
            return nil
        }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}

/// The handlers the Python scripts of one agent registered, and which script registered each.
final class SPOAPythonScripts: @unchecked Sendable {
    /// By handler number (changed only while loading, with the GIL held; read-only afterwards).
    private(set) var handlers: [(name: String, function: PythonObject)] = []
    /// Script path → its handler numbers in registration order.
    private(set) var byScript: [String: [Int]] = [:]

    func register(name: String, function: PythonObject, script: String) {
        handlers.append((name, function))
        byScript[script, default: []].append(handlers.count - 1)
    }
}
