import CTidegatePython
import NIOCore
import SPOP
import TidegateCore

#if canImport(Glibc)
    import Glibc
#endif

/// The functions of the Python module `spoa`, the API of HAProxy's example agent (`spoa_server`'s
/// `ps_python`):
///
/// - `spoa.register_message(name, fn)` while a script loads; `fn(args=[{'name': ..., 'value': ...}, ...])`.
/// - `spoa.set_var_null(name, scope)`, `spoa.set_var_boolean/int32/uint32/int64/uint64/ipv4/ipv6/str/bin(name,
///   scope, value)`: add a set-var action to the ACK. Integers are range-checked (`OverflowError`); addresses are
///   `ipaddress.IPv4Address`/`IPv6Address` objects (or their text); `str`/`bin` take `str` (UTF-8) or `bytes`.
/// - `spoa.unset_var(name, scope)` (Tidegate's addition), `spoa.scope_proc/sess/txn/req/res` (0 to 4),
///   `spoa.error`.
///
/// Bad arguments raise `TypeError`/`ValueError`/`OverflowError`, which a handler may catch.
enum SPOAPythonModule {
    typealias Object = UnsafeMutablePointer<PyObject>

    /// The method table handed to CPython (lives as long as the process).
    nonisolated(unsafe) static let methods: UnsafeMutablePointer<PyMethodDef> = {
        let entries: [(String, PyCFunction)] = [
            ("register_message", { _, args in registerMessage(args) }),
            ("set_var_null", { _, args in setVar(args, "set_var_null", hasValue: false) { _, _ in .null } }),
            ("set_var_boolean", { _, args in setVar(args, "set_var_boolean") { try boolean($0, $1) } }),
            ("set_var_int32", { _, args in setVar(args, "set_var_int32") { .int32(try integer($0, $1, "int32")) } }),
            ("set_var_uint32", { _, args in setVar(args, "set_var_uint32") { .uint32(try integer($0, $1, "uint32")) } }),
            ("set_var_int64", { _, args in setVar(args, "set_var_int64") { .int64(try integer($0, $1, "int64")) } }),
            ("set_var_uint64", { _, args in setVar(args, "set_var_uint64") { .uint64(try integer($0, $1, "uint64")) } }),
            ("set_var_ipv4", { _, args in setVar(args, "set_var_ipv4") { try address($0, $1, v6: false) } }),
            ("set_var_ipv6", { _, args in setVar(args, "set_var_ipv6") { try address($0, $1, v6: true) } }),
            ("set_var_str", { _, args in setVar(args, "set_var_str") { .string(try bytes($0, $1)) } }),
            ("set_var_bin", { _, args in setVar(args, "set_var_bin") { .binary(try bytes($0, $1)) } }),
            ("unset_var", { _, args in unsetVar(args) }),
        ]
        let table = UnsafeMutablePointer<PyMethodDef>.allocate(capacity: entries.count + 1)
        for (index, (name, function)) in entries.enumerated() {
            table[index] = PyMethodDef(ml_name: strdup(name), ml_meth: function, ml_flags: METH_VARARGS, ml_doc: nil)
        }
        table[entries.count] = PyMethodDef(ml_name: nil, ml_meth: nil, ml_flags: 0, ml_doc: nil)
        return table
    }()

    /// A Python exception to raise: its class and message.
    struct Raise: Error, @unchecked Sendable {
        let type: Object
        let message: String

        static func type(_ message: String) -> Raise { Raise(type: tg_py_exc_type_error(), message: message) }
        static func value(_ message: String) -> Raise { Raise(type: tg_py_exc_value_error(), message: message) }
        static func overflow(_ message: String) -> Raise { Raise(type: tg_py_exc_overflow_error(), message: message) }
    }

    /// Runs `body`; a thrown `Raise` becomes the pending Python exception and NULL is returned.
    private static func python(_ body: () throws -> Object?) -> Object? {
        do {
            return try body()
        } catch let error as Raise {
            PyErr_SetString(error.type, error.message)
        } catch {
            PyErr_SetString(tg_py_exc_runtime_error(), "\(error)")
        }
        return nil
    }

    private static func arguments(_ args: Object?, _ function: String, count: Int) throws(Raise) -> [Object] {
        guard let args, PyTuple_Size(args) == count else {
            let given = args.map { PyTuple_Size($0) } ?? 0
            throw .type("\(function)() takes exactly \(count) arguments (\(given) given)")
        }
        return (0..<count).map { PyTuple_GetItem(args, $0)! }
    }

    // MARK: Functions

    private static func registerMessage(_ args: Object?) -> Object? {
        python { () throws -> Object? in
            let items = try arguments(args, "register_message", count: 2)
            guard tg_py_is_unicode(items[0]) != 0, let name = SPOAPythonRuntime.string(items[0]) else {
                throw Raise.type("register_message() argument 1 must be str, not \(typeName(items[0]))")
            }
            guard tg_py_is_callable(items[1]) != 0 else {
                throw Raise.type("register_message() argument 2 must be callable, not \(typeName(items[1]))")
            }
            guard let (scripts, path) = SPOAPythonRuntime.loading else {
                throw Raise(
                    type: tg_py_exc_runtime_error(),
                    message: "spoa.register_message() may only be called while a script loads")
            }
            tg_py_incref(items[1])
            scripts.register(name: name, function: PythonObject(pointer: items[1]), script: path)
            return tg_py_none_new()
        }
    }

    private static func setVar(
        _ args: Object?, _ function: String, hasValue: Bool = true,
        value: (Object, String) throws -> SPOPTypedData
    ) -> Object? {
        python { () throws -> Object? in
            let items = try arguments(args, function, count: hasValue ? 3 : 2)
            let (name, scope) = try nameAndScope(items, function)
            let typed = try value(hasValue ? items[2] : items[1], function)
            try SPOAPythonActions.current(function).setVar(scope: scope, name: name, value: typed)
            return tg_py_none_new()
        }
    }

    private static func unsetVar(_ args: Object?) -> Object? {
        python { () throws -> Object? in
            let items = try arguments(args, "unset_var", count: 2)
            let (name, scope) = try nameAndScope(items, "unset_var")
            try SPOAPythonActions.current("unset_var").unsetVar(scope: scope, name: name)
            return tg_py_none_new()
        }
    }

    // MARK: Argument conversion

    private static func nameAndScope(_ items: [Object], _ function: String) throws(Raise) -> (ByteBuffer, SPOPVarScope) {
        let name = try bytes(items[0], function)
        guard tg_py_is_long(items[1]) != 0 else {
            throw .type("\(function)() scope must be int (spoa.scope_*), not \(typeName(items[1]))")
        }
        let number = PyLong_AsLongLong(items[1])
        if PyErr_Occurred() != nil { PyErr_Clear() }
        guard let raw = UInt8(exactly: number), let scope = SPOPVarScope(rawValue: raw) else {
            throw .value("\(function)() unknown scope \(number) (use spoa.scope_*)")
        }
        return (name, scope)
    }

    private static func boolean(_ object: Object, _ function: String) throws(Raise) -> SPOPTypedData {
        guard tg_py_is_bool(object) != 0 || tg_py_is_long(object) != 0 else {
            throw .type("\(function)() value must be bool, not \(typeName(object))")
        }
        return .bool(PyObject_IsTrue(object) == 1)
    }

    private static func integer<T: FixedWidthInteger>(
        _ object: Object, _ function: String, _ type: String
    ) throws(Raise) -> T {
        guard tg_py_is_long(object) != 0, tg_py_is_bool(object) == 0 else {
            throw .type("\(function)() value must be int, not \(typeName(object))")
        }
        var overflow: Int32 = 0
        let signed = PyLong_AsLongLongAndOverflow(object, &overflow)
        if overflow == 0, let value = T(exactly: signed) { return value }
        if overflow > 0, T.self == UInt64.self {
            let unsigned = PyLong_AsUnsignedLongLong(object)
            if PyErr_Occurred() == nil { return T(truncatingIfNeeded: unsigned) }
            PyErr_Clear()
        }
        throw .overflow("\(function)() integer \(text(object)) out of range for '\(type)'")
    }

    private static func address(_ object: Object, _ function: String, v6: Bool) throws(Raise) -> SPOPTypedData {
        let runtime = try? SPOAPythonRuntime.shared()
        let expected = v6 ? "IPv6Address" : "IPv4Address"
        if tg_py_is_unicode(object) != 0 {
            let text = SPOAPythonRuntime.string(object) ?? ""
            if v6, let parsed = IPv6Address(text) {
                return .ipv6(SPOPIPv6Address(high: parsed.high, low: parsed.low))
            }
            if !v6, let parsed = IPv4Address(text) { return .ipv4(SPOPIPv4Address(rawValue: parsed.value)) }
            throw .value("\(function)() invalid \(v6 ? "IPv6" : "IPv4") address '\(text.prefix(64))'")
        }
        guard let runtime, PyObject_IsInstance(object, (v6 ? runtime.ipv6Class : runtime.ipv4Class).pointer) == 1,
            let packed = PyObject_GetAttrString(object, "packed")
        else {
            PyErr_Clear()
            throw .type("\(function)() value must be '\(expected)', not '\(typeName(object))'")
        }
        defer { tg_py_decref(packed) }
        let raw = try bytes(packed, function)
        if v6, let address = SPOPIPv6Address(bytes: raw.readableBytesView) { return .ipv6(address) }
        if !v6, raw.readableBytes == 4, let value = raw.getInteger(at: raw.readerIndex, as: UInt32.self) {
            return .ipv4(SPOPIPv4Address(rawValue: value))
        }
        throw .value("\(function)() unexpected packed address")
    }

    /// `str` as UTF-8 (surrogate escapes back to their bytes), `bytes` and `bytearray` as they are.
    private static func bytes(_ object: Object, _ function: String) throws(Raise) -> ByteBuffer {
        var length = 0
        if tg_py_is_unicode(object) != 0 {
            if let pointer = PyUnicode_AsUTF8AndSize(object, &length) {
                return ByteBuffer(bytes: UnsafeRawBufferPointer(start: pointer, count: length))
            }
            // A str made from undecodable bytes (surrogate escapes) gives its bytes back.
            PyErr_Clear()
            guard let encoded = PyUnicode_AsEncodedString(object, "utf-8", "surrogateescape") else {
                PyErr_Clear()
                throw .value("\(function)() string cannot be encoded in UTF-8")
            }
            defer { tg_py_decref(encoded) }
            return try bytes(encoded, function)
        }
        if tg_py_is_bytes(object) != 0 {
            var pointer: UnsafeMutablePointer<CChar>?
            PyBytes_AsStringAndSize(object, &pointer, &length)
            return ByteBuffer(bytes: UnsafeRawBufferPointer(start: pointer, count: length))
        }
        if tg_py_is_bytearray(object) != 0 {
            return ByteBuffer(
                bytes: UnsafeRawBufferPointer(start: PyByteArray_AsString(object), count: PyByteArray_Size(object)))
        }
        throw .type("\(function)() expects str or bytes, not \(typeName(object))")
    }

    private static func typeName(_ object: Object) -> String { String(cString: tg_py_type_name(object)) }

    private static func text(_ object: Object) -> String {
        guard let string = PyObject_Str(object) else {
            PyErr_Clear()
            return "?"
        }
        defer { tg_py_decref(string) }
        return SPOAPythonRuntime.string(string) ?? "?"
    }
}

/// The actions a Python handler sets, collected on the Python thread that runs it (a thread-local slot points
/// to the collector of the call in progress, since several handler threads take turns holding the GIL).
final class SPOAPythonActions {
    private(set) var bytes = ByteBuffer()
    private(set) var count = 0

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Makes `actions` the collector of the calling thread (nil: none) for the duration of `body`.
    static func with<T>(_ actions: SPOAPythonActions, _ body: () -> T) -> T {
        pthread_setspecific(key, Unmanaged.passUnretained(actions).toOpaque())
        defer { pthread_setspecific(key, nil) }
        return body()
    }

    static func current(_ function: String) throws(SPOAPythonModule.Raise) -> SPOAPythonActions {
        guard let pointer = pthread_getspecific(key) else {
            throw SPOAPythonModule.Raise(
                type: tg_py_spoa_error() ?? tg_py_exc_runtime_error(),
                message: "spoa.\(function)() may only be called by a message handler")
        }
        return Unmanaged<SPOAPythonActions>.fromOpaque(pointer).takeUnretainedValue()
    }

    func setVar(scope: SPOPVarScope, name: ByteBuffer, value: SPOPTypedData) {
        bytes.writeSPOPSetVar(scope: scope, name: name.readableBytesView, value: value)
        count += 1
    }

    func unsetVar(scope: SPOPVarScope, name: ByteBuffer) {
        bytes.writeSPOPUnsetVar(scope: scope, name: name.readableBytesView)
        count += 1
    }
}
