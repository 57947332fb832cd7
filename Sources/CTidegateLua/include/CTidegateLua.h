// CTidegateLua: the only C of Tidegate's Lua engine.
//
// Lua raises errors and yields with longjmp. Swift frames must never be jumped over, so every Lua API call
// that may raise (`lua_error`, `luaL_check*`, `lua_yieldk`, and every allocating call while a memory limit is set)
// happens in this file, either inside a Lua C function or under `lua_pcall`. Swift sees status codes only.
//
// Contents:
//  - prefixed `static inline` wrappers for the macros of lua.h that Swift cannot import;
//  - `tg_lua_newstate`: a state whose allocator enforces a byte limit, with luaL_newstate's panic/warning handlers;
//  - the per-state runtime (stored in the extra space of every thread) used by the count hook and the trampoline;
//  - the trampoline through which Lua calls Swift functions (return / raise / yield, with a continuation);
//  - the count hook (forced yield, CPU-time budget decided by Swift);
//  - protected helpers: open libraries, create coroutines, move values between Lua and a flat byte encoding;
//  - classes and objects (HAProxy convention: a table holding a userdata at [0], methods in the class
//    metatable's __index) and checked functions (exact arity and self checks raised from C), module tables.
#ifndef C_TIDEGATE_LUA_H
#define C_TIDEGATE_LUA_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#if !defined(LUA_VERSION_NUM) || LUA_VERSION_NUM != 504
#error "Tidegate requires Lua 5.4 (liblua5.4-dev)"
#endif

// MARK: - Macro wrappers

static inline int tg_lua_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int tg_lua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void tg_lua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void tg_lua_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *tg_lua_tostring(lua_State *L, int idx) { return lua_tostring(L, idx); }
static inline int tg_lua_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}
static inline void *tg_lua_getextraspace(lua_State *L) { return lua_getextraspace(L); }
static inline int tg_lua_isnil(lua_State *L, int idx) { return lua_isnil(L, idx); }
static inline int tg_lua_isnoneornil(lua_State *L, int idx) { return lua_isnoneornil(L, idx); }
static inline lua_Number tg_lua_tonumber(lua_State *L, int idx) { return lua_tonumber(L, idx); }
static inline lua_Integer tg_lua_tointeger(lua_State *L, int idx) { return lua_tointeger(L, idx); }
static inline void tg_lua_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void tg_lua_remove(lua_State *L, int idx) { lua_remove(L, idx); }
static inline void tg_lua_replace(lua_State *L, int idx) { lua_replace(L, idx); }
static inline void tg_lua_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
static inline void tg_lua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }
/// A full collection (`lua_gc` is variadic, which Swift cannot call). Finalizer errors become warnings: never raises.
static inline void tg_lua_collectgarbage(lua_State *L) { (void)lua_gc(L, LUA_GCCOLLECT, 0); }
/// `lua_closethread` exists from 5.4.6; Debian 12's 5.4.4 only has `lua_resetthread`.
static inline int tg_lua_closethread(lua_State *L, lua_State *from) {
#if LUA_VERSION_RELEASE_NUM >= 50406
    return lua_closethread(L, from);
#else
    (void)from;
    return lua_resetthread(L);
#endif
}

// MARK: - State and memory accounting

/// Byte accounting of one state's allocator. `limit` 0 means unlimited. Shrinking and freeing never fail.
typedef struct tg_lua_memory {
    size_t current;
    size_t peak;
    size_t limit;
} tg_lua_memory;

/// Creates a state whose allocator counts into (and is limited by) `memory`, which must outlive the state.
/// Installs a panic handler (message to stderr, then abort) and a warning handler (off until "@on") like
/// luaL_newstate. Returns NULL if the state cannot be allocated.
lua_State *tg_lua_newstate(tg_lua_memory *memory);

// MARK: - Runtime (per state, reachable from every thread)

/// Growable byte buffer, malloc'd. Free it with `tg_lua_buffer_free`, also after a failed call.
typedef struct tg_lua_buffer {
    unsigned char *data;
    size_t length;
    size_t capacity;
} tg_lua_buffer;

void tg_lua_buffer_free(tg_lua_buffer *buffer);

/// Answer of the Swift decision callback called by the count hook.
enum {
    TG_LUA_HOOK_CONTINUE = 0,  ///< keep running
    TG_LUA_HOOK_YIELD = 1,     ///< yield if the running task thread can yield here; otherwise keep running
    TG_LUA_HOOK_TIMEOUT = 2,   ///< raise "execution timeout" (in any context, yieldable or not)
};

/// Why the last `tg_lua_resume` returned LUA_YIELD.
enum {
    TG_LUA_YIELDED_BY_SCRIPT = 0,    ///< `coroutine.yield` from the script itself
    TG_LUA_YIELDED_BY_HOOK = 1,      ///< forced yield by the count hook (reschedule)
    TG_LUA_YIELDED_BY_FUNCTION = 2,  ///< a Swift function returned TG_LUA_YIELD
};

typedef int (*tg_lua_hook_decision)(lua_State *L, void *context);

/// Per-state data shared by all threads of a state. `lua_newthread` copies the main thread's extra space, so
/// every thread (including coroutines created by scripts) points to the same runtime.
typedef struct tg_lua_runtime {
    tg_lua_memory memory;
    tg_lua_hook_decision decide;  ///< called by the count hook; NULL = always continue
    void *decide_context;
    lua_State *running;           ///< the task thread being resumed by `tg_lua_resume`, or NULL
    int yield_reason;             ///< TG_LUA_YIELDED_* of the last yield of `running`
    int refused_yield;            ///< set when a Swift function asked to yield where it could not
    int no_yield;                 ///< the running task thread may not yield at all (run to completion)
    uint64_t self_handle;         ///< handle of `self` checked by the last method trampoline (read it first)
    tg_lua_buffer scratch;        ///< reused by `tg_lua_encode_arguments` (free with `tg_lua_runtime_free_scratch`)
} tg_lua_runtime;

/// Stores `runtime` in the main thread's extra space (do it before creating threads).
void tg_lua_setruntime(lua_State *L, tg_lua_runtime *runtime);
tg_lua_runtime *tg_lua_getruntime(lua_State *L);

/// Resumes `co` as the running task thread: arms the count hook on `co` every `hook_count` instructions
/// (0 = no hook), clears the yield reason, calls `lua_resume` (which never raises) and restores the previous
/// running thread. On LUA_YIELD, `runtime->yield_reason` tells who yielded. With `yield_allowed` 0 the count hook
/// never yields and a Swift function asking to yield raises "yield not allowed" (a script's own
/// `coroutine.yield` still yields; the caller decides what that means).
int tg_lua_resume(lua_State *co, lua_State *from, int nargs, int *nresults, int hook_count, int yield_allowed);

// MARK: - Swift functions (trampoline protocol)
//
// A Swift function is a C closure made by `tg_lua_pushfunction(L, callback, context)`. When Lua calls it, the C
// trampoline calls `callback(L, context, resumed_base, &count)` and acts on the returned status:
//  - TG_LUA_RETURN: the `count` values on top of the stack are the results.
//  - TG_LUA_ERROR:  the error value is on top of the stack; the trampoline raises it with `lua_error` (C only).
//  - TG_LUA_YIELD:  the `count` values on top are yielded with `lua_yieldk`. The runtime's yield reason becomes
//                   TG_LUA_YIELDED_BY_FUNCTION. When the coroutine is resumed, the continuation calls
//                   `callback` again with `resumed_base` = stack index of the first value passed to `lua_resume`
//                   (values resumed_base ... top; none if resumed_base > top). The callback answers with the
//                   same three statuses, so it may return, raise or yield again.
//                   Yields are allowed only in the task thread being resumed by `tg_lua_resume`, when
//                   `lua_isyieldable`; otherwise the trampoline sets `refused_yield` and raises an error instead.
// `resumed_base` is 0 on the first call. The callback must not call raising Lua APIs itself: it uses the
// protected helpers below (`tg_lua_encode`, `tg_lua_push_encoded`, `tg_lua_push_error`), which return a status
// and leave the error value on the stack, so that it can answer TG_LUA_ERROR.
enum {
    TG_LUA_RETURN = 0,
    TG_LUA_ERROR = 1,
    TG_LUA_YIELD = 2,
};

typedef int (*tg_lua_callback)(lua_State *L, void *context, int resumed_base, int *count);

/// Pushes a C closure calling `callback` with `context` (upvalues: lightuserdata context, userdata callback).
/// Allocates: call it only from protected C code (see `tg_lua_set_global_function`).
void tg_lua_pushfunction(lua_State *L, tg_lua_callback callback, void *context);

/// Protected: sets global `name` to a Swift function. Returns a Lua status (error value popped on failure).
int tg_lua_set_global_function(lua_State *L, const char *name, tg_lua_callback callback, void *context);

// MARK: - Protected helpers (never raise; return a Lua status)

/// Opens the standard libraries under protection.
int tg_lua_openlibs(lua_State *L);

/// Creates a thread whose stack holds a copy of the registry value `function_ref`, anchors it with `luaL_ref`.
/// On success stores the thread and its reference. On failure pops the error value.
int tg_lua_newcoroutine(lua_State *L, int function_ref, lua_State **thread, int *thread_ref);

/// Pops the value on top of the stack into the registry. On success stores the reference.
int tg_lua_ref(lua_State *L, int *ref);

/// Loads a text chunk (binary chunks are refused) and anchors it in the registry. On failure the error message
/// is on top of the stack (LUA_ERRSYNTAX or LUA_ERRMEM).
int tg_lua_load(lua_State *L, const char *chunk, size_t length, const char *chunkname, int *ref);

/// `tg_lua_load` with the mode of `luaL_loadbufferx`: "t" text only, "b" precompiled only, "bt" either.
/// Precompiled chunks are trusted input (Lua does not verify bytecode): load only files the operator gave.
int tg_lua_loadx(lua_State *L, const char *chunk, size_t length, const char *chunkname, const char *mode, int *ref);

/// Pops an error value and pushes two strings: its message (`__tostring` honoured) and the traceback of
/// thread `co` (which may be L itself) from `level`. On failure leaves one error value instead.
int tg_lua_describe_error(lua_State *L, lua_State *co, int level);


// Value encoding shared with Swift (native byte order, same process):
//   nil: 0 | false: 1 | true: 2 | integer: 3 + int64 | float: 4 + double | string: 5 + uint64 length + bytes
//   table: 6 + uint64 array count + uint64 hash count + array values (keys 1...n) + hash key/value pairs
//   function: 7 + int32 registry reference. Encoding a function anchors it with a *new* reference that the
//             reader owns (and must `luaL_unref`); decoding pushes the referenced value.
//   object: 8 + uint64 handle + int32 registry reference of the object table. Encoding an object table (a table
//           whose raw [0] is an object userdata, see `tg_lua_newobject`) writes its handle and LUA_NOREF; decoding
//           pushes the referenced table, or nil if the reference is LUA_NOREF (the handle was invalidated).
// Other userdata and threads are not encodable (error). Tables nest at most TG_LUA_MAX_DEPTH deep.
enum {
    TG_LUA_TAG_NIL = 0,
    TG_LUA_TAG_FALSE = 1,
    TG_LUA_TAG_TRUE = 2,
    TG_LUA_TAG_INTEGER = 3,
    TG_LUA_TAG_FLOAT = 4,
    TG_LUA_TAG_STRING = 5,
    TG_LUA_TAG_TABLE = 6,
    TG_LUA_TAG_FUNCTION = 7,
    TG_LUA_TAG_OBJECT = 8,
    TG_LUA_MAX_DEPTH = 64,
};

/// The arguments of a Swift function, encoded: values `first ... first + count - 1` of L. Strings, numbers,
/// booleans, nil and objects are encoded without protection (nothing there allocates in Lua or raises) into the
/// runtime's scratch buffer, which `*bytes` then points to until the next call; anything else (tables,
/// functions...) goes through `tg_lua_encode` into `fallback` (free it after decoding). Decode before calling
/// anything that may run Lua. Returns a Lua status; on failure the error value is pushed.
int tg_lua_encode_arguments(lua_State *L, int first, int count, tg_lua_buffer *fallback,
                            const unsigned char **bytes, size_t *length);

/// Frees the runtime's scratch buffer (when the state is closed).
void tg_lua_runtime_free_scratch(tg_lua_runtime *runtime);

/// Encodes the values at stack indices `first ... first + count - 1` of L into `out` (stack unchanged on
/// success; error value pushed on failure). Raw access only: no metamethods run. On failure the function
/// references made so far are released.
int tg_lua_encode(lua_State *L, int first, int count, tg_lua_buffer *out);

/// Decodes `length` bytes and pushes the values. On success stores how many; on failure pushes the error value.
int tg_lua_push_encoded(lua_State *L, const unsigned char *bytes, size_t length, int *count);

/// Pushes `message` prefixed with the position of the Lua code that called the running C function (like
/// luaL_error). Protected; on failure the pushed value is the error of the failure itself.
int tg_lua_push_error(lua_State *L, const char *message, size_t length);

// MARK: - Checked functions, classes, objects and module tables (all protected; never raise)
//
// A checked function is a Swift function (same trampoline protocol) whose closure first checks, in C:
//  - the argument count: `min <= lua_gettop(L) <= max` (max < 0: no maximum), else it raises HAProxy's
//    "'<name>' needs <n> arguments" (or "needs between <min> and <max>" / "needs at least <min>");
//  - for a method (`class_ref` not LUA_NOREF), that argument 1 is an object of that class (a table with that
//    metatable and an object userdata at [0]), else `luaL_typeerror(L, 1, <class name>)`.
// Counts include `self` for methods, as HAProxy's `check_args` counts the whole stack.

/// Pushes a checked function (see above). On failure pushes the error value instead.
int tg_lua_push_checked_function(lua_State *L, tg_lua_callback callback, void *context, const char *name,
                                 int min, int max, int class_ref);

/// Pops the value on top of the stack and sets `registry[table_ref][name]` to it (`lua_setfield`; use
/// LUA_RIDX_GLOBALS for a global). The stack is back to its previous height minus the value on return.
int tg_lua_setfield(lua_State *L, int table_ref, const char *name);

/// Creates an empty table anchored in the registry.
int tg_lua_newtable_ref(lua_State *L, int *ref);

/// Creates the class metatable `name` (`luaL_newmetatable`: also `registry[name]`, with `__name`) whose `__index`
/// is a table of methods, and anchors it. Fails if `name` is already registered in this state.
int tg_lua_newclass(lua_State *L, const char *name, int *class_ref);

/// Adds a checked method to the class `class_ref` (counts include self).
int tg_lua_class_add_method(lua_State *L, int class_ref, const char *name, tg_lua_callback callback,
                            void *context, int min, int max);

/// Creates an object of class `class_ref`: a table {[0] = userdata holding `handle`} whose metatable is the
/// class metatable, anchored in the registry (`*table_ref`).
int tg_lua_newobject(lua_State *L, int class_ref, uint64_t handle, int *table_ref);

#endif
