// CTidegatePython: the C the agent's Python engine needs, and nothing else.
//
// Swift calls CPython's functions directly; this header only wraps what Swift cannot import (object macros
// such as Py_None, type-check macros) and builds the `spoa` extension module, whose definition needs the
// PyModuleDef_HEAD_INIT initializer macro and static storage.
#ifndef C_TIDEGATE_PYTHON_H
#define C_TIDEGATE_PYTHON_H

// pyconfig.h defines _XOPEN_SOURCE and friends, which change some glibc declarations (fd_set's field names);
// include those headers first so that this module agrees with the Glibc module Swift already has.
#include <sys/types.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <stdio.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_MAJOR_VERSION != 3
#error "Tidegate's agent requires Python 3 (python3-dev)"
#endif

static inline PyObject *tg_py_none(void) { return Py_None; }
static inline PyObject *tg_py_true(void) { return Py_True; }
static inline PyObject *tg_py_false(void) { return Py_False; }
/// A new reference to None (what a C function returns for "no value").
static inline PyObject *tg_py_none_new(void) { Py_INCREF(Py_None); return Py_None; }
static inline void tg_py_incref(PyObject *o) { Py_INCREF(o); }
static inline void tg_py_decref(PyObject *o) { Py_DECREF(o); }
static inline void tg_py_xdecref(PyObject *o) { Py_XDECREF(o); }
static inline int tg_py_is_bool(PyObject *o) { return PyBool_Check(o); }
static inline int tg_py_is_long(PyObject *o) { return PyLong_Check(o); }
static inline int tg_py_is_unicode(PyObject *o) { return PyUnicode_Check(o); }
static inline int tg_py_is_bytes(PyObject *o) { return PyBytes_Check(o); }
static inline int tg_py_is_bytearray(PyObject *o) { return PyByteArray_Check(o); }
static inline int tg_py_is_callable(PyObject *o) { return PyCallable_Check(o); }
static inline const char *tg_py_type_name(PyObject *o) { return Py_TYPE(o)->tp_name; }
// The exception classes (global variables, which Swift 6 refuses to read as shared mutable state).
static inline PyObject *tg_py_exc_type_error(void) { return PyExc_TypeError; }
static inline PyObject *tg_py_exc_value_error(void) { return PyExc_ValueError; }
static inline PyObject *tg_py_exc_overflow_error(void) { return PyExc_OverflowError; }
static inline PyObject *tg_py_exc_runtime_error(void) { return PyExc_RuntimeError; }
static inline PyObject *tg_py_exc_timeout_error(void) { return PyExc_TimeoutError; }

/// Registers the built-in module `spoa` (call before `Py_InitializeEx`). Its functions are `methods`
/// (a NULL-terminated array that must stay valid for the life of the process); importing it also defines
/// `scope_proc` ... `scope_res` (0 ... 4) and the exception class `spoa.error`. Returns 0, or -1 on failure.
int tg_py_register_spoa_module(PyMethodDef *methods);

/// `spoa.error`, once the module has been imported (borrowed reference; NULL before).
PyObject *tg_py_spoa_error(void);

#endif
