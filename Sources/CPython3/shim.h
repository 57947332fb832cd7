// Debian's CPython 3 headers (python3-dev); the library comes from pkg-config `python3-embed`.
// Glibc headers first, before pyconfig.h's feature macros (see CTidegatePython.h).
#include <sys/types.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <stdio.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>
