#include "CTidegatePython.h"

static PyObject *spoa_error = NULL;

static struct PyModuleDef spoa_module = {
    PyModuleDef_HEAD_INIT,
    "spoa",
    "Tidegate's SPOA agent: register message handlers and set the variables sent back to HAProxy.",
    -1,
    NULL,
};

static PyObject *spoa_module_init(void) {
    PyObject *module = PyModule_Create(&spoa_module);
    if (module == NULL) {
        return NULL;
    }
    static const char *const scopes[] = {"scope_proc", "scope_sess", "scope_txn", "scope_req", "scope_res"};
    for (long i = 0; i < 5; i++) {
        if (PyModule_AddIntConstant(module, scopes[i], i) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    if (spoa_error == NULL) {
        spoa_error = PyErr_NewException("spoa.error", NULL, NULL);
        if (spoa_error == NULL) {
            Py_DECREF(module);
            return NULL;
        }
    }
    Py_INCREF(spoa_error);
    if (PyModule_AddObject(module, "error", spoa_error) < 0) {
        Py_DECREF(spoa_error);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

int tg_py_register_spoa_module(PyMethodDef *methods) {
    spoa_module.m_methods = methods;
    return PyImport_AppendInittab("spoa", spoa_module_init);
}

PyObject *tg_py_spoa_error(void) { return spoa_error; }
