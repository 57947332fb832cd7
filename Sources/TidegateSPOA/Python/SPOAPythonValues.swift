import CTidegatePython
import NIOCore
import SPOP

/// SPOP values as Python sees them (HAProxy's example agent's mapping, 64-bit integers kept).
enum SPOAPythonValues {
    typealias Object = UnsafeMutablePointer<PyObject>

    /// A message's arguments as the handler's `args`: a list of `{'name': str, 'value': value}` in message
    /// order. A new reference, or nil with the Python exception set.
    static func arguments(_ list: SPOPKVList, runtime: SPOAPythonRuntime) -> Object? {
        guard let result = PyList_New(0) else { return nil }
        for item in list {
            guard let entry = PyDict_New() else {
                tg_py_decref(result)
                return nil
            }
            defer { tg_py_decref(entry) }
            guard let name = text(item.name), let value = value(item.value, runtime: runtime) else {
                tg_py_decref(result)
                return nil
            }
            PyDict_SetItemString(entry, "name", name)
            PyDict_SetItemString(entry, "value", value)
            tg_py_decref(name)
            tg_py_decref(value)
            guard PyList_Append(result, entry) == 0 else {
                tg_py_decref(result)
                return nil
            }
        }
        return result
    }

    /// NULL → None, BOOL → bool, integers → int (all 64 bits), IPV4/IPV6 → `ipaddress.IPv4Address`/`IPv6Address`,
    /// STRING → str (UTF-8; undecodable bytes kept as surrogate escapes), BINARY → bytes. A new reference.
    static func value(_ data: SPOPTypedData, runtime: SPOAPythonRuntime) -> Object? {
        switch data {
        case .null: return tg_py_none_new()
        case .bool(let flag): return PyBool_FromLong(flag ? 1 : 0)
        case .int32(let v): return PyLong_FromLongLong(Int64(v))
        case .int64(let v): return PyLong_FromLongLong(v)
        case .uint32(let v): return PyLong_FromUnsignedLongLong(UInt64(v))
        case .uint64(let v): return PyLong_FromUnsignedLongLong(v)
        case .ipv4(let address): return ipAddress(address.bytes, runtime.ipv4Class)
        case .ipv6(let address): return ipAddress(address.bytes, runtime.ipv6Class)
        case .string(let bytes): return text(bytes)
        case .binary(let bytes):
            return bytes.withUnsafeReadableBytes {
                PyBytes_FromStringAndSize($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count)
            }
        }
    }

    private static func text(_ bytes: ByteBuffer) -> Object? {
        bytes.withUnsafeReadableBytes {
            PyUnicode_DecodeUTF8($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count, "surrogateescape")
        }
    }

    private static func ipAddress(_ bytes: [UInt8], _ type: PythonObject) -> Object? {
        let packed = bytes.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { PyBytes_FromStringAndSize($0.baseAddress, $0.count) }
        }
        guard let packed, let arguments = PyTuple_New(1) else { return nil }
        PyTuple_SetItem(arguments, 0, packed)  // steals the reference
        defer { tg_py_decref(arguments) }
        return PyObject_Call(type.pointer, arguments, nil)
    }
}
