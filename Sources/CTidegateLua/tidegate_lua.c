// CTidegateLua: allocator, handlers, trampoline, count hook and protected helpers. See include/CTidegateLua.h.
#include "CTidegateLua.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// MARK: - Allocator

/// lua_Alloc with a byte limit. `osize` is a type tag when `ptr` is NULL, so it counts only for existing blocks.
static void *tg_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    tg_lua_memory *memory = (tg_lua_memory *)ud;
    size_t old = ptr != NULL ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        memory->current -= old;
        return NULL;
    }
    if (memory->limit != 0 && nsize > old && memory->current - old + nsize > memory->limit) {
        return NULL;  // Lua runs an emergency collection and retries, then raises LUA_ERRMEM
    }
    void *block = realloc(ptr, nsize);
    if (block == NULL) {
        if (nsize <= old) {
            block = ptr;  // Lua assumes shrinking never fails: keep the larger block
        } else {
            return NULL;
        }
    }
    memory->current = memory->current - old + nsize;
    if (memory->current > memory->peak) {
        memory->peak = memory->current;
    }
    return block;
}

// MARK: - Panic and warnings (as luaL_newstate installs them)

static int tg_lua_panic(lua_State *L) {
    const char *message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error object is not a string";
    fprintf(stderr, "tidegate: unprotected error in call to Lua API (%s)\n", message);
    fflush(stderr);
    return 0;  // Lua aborts
}

static void tg_lua_warn_off(void *ud, const char *message, int tocont);
static void tg_lua_warn_on(void *ud, const char *message, int tocont);
static void tg_lua_warn_cont(void *ud, const char *message, int tocont);

/// Handles "@on" / "@off"; returns 1 when `message` is a control message.
static int tg_lua_warn_control(lua_State *L, const char *message, int tocont) {
    if (tocont || message[0] != '@') {
        return 0;
    }
    if (strcmp(message + 1, "on") == 0) {
        lua_setwarnf(L, tg_lua_warn_on, L);
    } else if (strcmp(message + 1, "off") == 0) {
        lua_setwarnf(L, tg_lua_warn_off, L);
    }
    return 1;
}

static void tg_lua_warn_off(void *ud, const char *message, int tocont) {
    (void)tg_lua_warn_control((lua_State *)ud, message, tocont);
}

static void tg_lua_warn_on(void *ud, const char *message, int tocont) {
    if (tg_lua_warn_control((lua_State *)ud, message, tocont)) {
        return;
    }
    fputs("Lua warning: ", stderr);
    tg_lua_warn_cont(ud, message, tocont);
}

static void tg_lua_warn_cont(void *ud, const char *message, int tocont) {
    lua_State *L = (lua_State *)ud;
    fputs(message, stderr);
    if (tocont) {
        lua_setwarnf(L, tg_lua_warn_cont, L);
    } else {
        fputc('\n', stderr);
        fflush(stderr);
        lua_setwarnf(L, tg_lua_warn_on, L);
    }
}

lua_State *tg_lua_newstate(tg_lua_memory *memory) {
    lua_State *L = lua_newstate(tg_lua_alloc, memory);
    if (L == NULL) {
        return NULL;
    }
    lua_atpanic(L, tg_lua_panic);
    lua_setwarnf(L, tg_lua_warn_off, L);
    tg_lua_setruntime(L, NULL);
    // Generational mode: a proxy's Lua garbage is mostly per-request objects that die young, which minor
    // collections reclaim for much less work than incremental cycles over the whole heap (scripts may switch
    // back with collectgarbage("incremental")).
    (void)lua_gc(L, LUA_GCGEN, 0, 0);
    return L;
}

// MARK: - Runtime

void tg_lua_setruntime(lua_State *L, tg_lua_runtime *runtime) {
    memcpy(lua_getextraspace(L), &runtime, sizeof runtime);
}

tg_lua_runtime *tg_lua_getruntime(lua_State *L) {
    tg_lua_runtime *runtime;
    memcpy(&runtime, lua_getextraspace(L), sizeof runtime);
    return runtime;
}

// MARK: - Count hook

/// Asks Swift what to do every N instructions. Yields only the task thread and only where it can yield (a yield
/// from a hook returns here and unwinds after the hook, `ldebug.c` luaG_traceexec). A timeout is raised in any
/// context; the hook then fires on every instruction of this thread so that a `pcall` cannot swallow it for long.
static void tg_lua_count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    tg_lua_runtime *runtime = tg_lua_getruntime(L);
    if (runtime == NULL || runtime->decide == NULL) {
        return;
    }
    switch (runtime->decide(L, runtime->decide_context)) {
    case TG_LUA_HOOK_TIMEOUT:
        lua_sethook(L, tg_lua_count_hook, LUA_MASKCOUNT, 1);
        lua_pushliteral(L, "execution timeout");
        lua_error(L);
        break;
    case TG_LUA_HOOK_YIELD:
        if (L == runtime->running && !runtime->no_yield && lua_isyieldable(L)) {
            runtime->yield_reason = TG_LUA_YIELDED_BY_HOOK;
            lua_yield(L, 0);
        }
        break;
    default:
        break;
    }
}

int tg_lua_resume(lua_State *co, lua_State *from, int nargs, int *nresults, int hook_count, int yield_allowed) {
    tg_lua_runtime *runtime = tg_lua_getruntime(co);
    lua_State *previous = NULL;
    int previous_no_yield = 0;
    if (runtime != NULL) {
        previous = runtime->running;
        previous_no_yield = runtime->no_yield;
        runtime->running = co;
        runtime->no_yield = !yield_allowed;
        runtime->yield_reason = TG_LUA_YIELDED_BY_SCRIPT;
        runtime->refused_yield = 0;
    }
    if (hook_count > 0) {
        lua_sethook(co, tg_lua_count_hook, LUA_MASKCOUNT, hook_count);
    } else {
        lua_sethook(co, NULL, 0, 0);
    }
    int status = lua_resume(co, from, nargs, nresults);
    if (runtime != NULL) {
        runtime->running = previous;
        runtime->no_yield = previous_no_yield;
    }
    return status;
}

// MARK: - Trampoline

static int tg_lua_continue(lua_State *L, int status, lua_KContext context);

static int tg_lua_call_swift(lua_State *L, int resumed_base, int *count) {
    void *context = lua_touserdata(L, lua_upvalueindex(1));
    tg_lua_callback *callback = (tg_lua_callback *)lua_touserdata(L, lua_upvalueindex(2));
    *count = 0;
    return (*callback)(L, context, resumed_base, count);
}

/// Turns the Swift status into a return, a `lua_error` or a `lua_yieldk` (see the protocol in the header).
static int tg_lua_finish(lua_State *L, int result, int count) {
    switch (result) {
    case TG_LUA_RETURN:
        return count;
    case TG_LUA_YIELD: {
        tg_lua_runtime *runtime = tg_lua_getruntime(L);
        if (runtime == NULL || runtime->running != L || runtime->no_yield || !lua_isyieldable(L)) {
            if (runtime != NULL) {
                runtime->refused_yield = 1;
            }
            lua_pop(L, count);
            luaL_where(L, 1);
            lua_pushliteral(L, "yield not allowed here (not in a yieldable task coroutine)");
            lua_concat(L, 2);
            return lua_error(L);
        }
        runtime->yield_reason = TG_LUA_YIELDED_BY_FUNCTION;
        int base = lua_gettop(L) - count + 1;
        return lua_yieldk(L, count, (lua_KContext)base, tg_lua_continue);
    }
    default:
        return lua_error(L);
    }
}

static int tg_lua_continue(lua_State *L, int status, lua_KContext context) {
    (void)status;
    int count = 0;
    int result = tg_lua_call_swift(L, (int)context, &count);
    return tg_lua_finish(L, result, count);
}

static int tg_lua_trampoline(lua_State *L) {
    int count = 0;
    int result = tg_lua_call_swift(L, 0, &count);
    return tg_lua_finish(L, result, count);
}

void tg_lua_pushfunction(lua_State *L, tg_lua_callback callback, void *context) {
    lua_pushlightuserdata(L, context);
    tg_lua_callback *slot = (tg_lua_callback *)lua_newuserdatauv(L, sizeof *slot, 0);
    *slot = callback;
    lua_pushcclosure(L, tg_lua_trampoline, 2);
}

// MARK: - Protected helpers

/// Calls `f(args)` under lua_pcall with `nresults` results. On failure the error value is on top (nothing is
/// pushed if the stack cannot grow).
static int tg_lua_protect(lua_State *L, lua_CFunction f, void *args, int nresults) {
    if (!lua_checkstack(L, 2)) {
        return LUA_ERRMEM;
    }
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, args);
    return lua_pcall(L, 1, nresults, 0);
}

static int tg_lua_openlibs_body(lua_State *L) {
    luaL_openlibs(L);
    return 0;
}

int tg_lua_openlibs(lua_State *L) {
    int status = tg_lua_protect(L, tg_lua_openlibs_body, NULL, 0);
    if (status != LUA_OK) {
        lua_settop(L, 0);
    }
    return status;
}

struct tg_lua_setglobal_args {
    const char *name;
    tg_lua_callback callback;
    void *context;
};

static int tg_lua_set_global_function_body(lua_State *L) {
    struct tg_lua_setglobal_args *args = (struct tg_lua_setglobal_args *)lua_touserdata(L, 1);
    tg_lua_pushfunction(L, args->callback, args->context);
    lua_setglobal(L, args->name);
    return 0;
}

int tg_lua_set_global_function(lua_State *L, const char *name, tg_lua_callback callback, void *context) {
    int top = lua_gettop(L);
    struct tg_lua_setglobal_args args = {name, callback, context};
    int status = tg_lua_protect(L, tg_lua_set_global_function_body, &args, 0);
    lua_settop(L, top);
    return status;
}

struct tg_lua_newcoroutine_args {
    int function_ref;
    lua_State *thread;
    int thread_ref;
};

static int tg_lua_newcoroutine_body(lua_State *L) {
    struct tg_lua_newcoroutine_args *args = (struct tg_lua_newcoroutine_args *)lua_touserdata(L, 1);
    lua_State *co = lua_newthread(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, args->function_ref);
    if (!lua_checkstack(co, 1)) {
        return luaL_error(L, "not enough memory");
    }
    lua_xmove(L, co, 1);
    args->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    args->thread = co;
    return 0;
}

int tg_lua_newcoroutine(lua_State *L, int function_ref, lua_State **thread, int *thread_ref) {
    int top = lua_gettop(L);
    struct tg_lua_newcoroutine_args args = {function_ref, NULL, LUA_NOREF};
    int status = tg_lua_protect(L, tg_lua_newcoroutine_body, &args, 0);
    lua_settop(L, top);
    if (status == LUA_OK) {
        *thread = args.thread;
        *thread_ref = args.thread_ref;
    }
    return status;
}

static int tg_lua_ref_body(lua_State *L) {
    int *ref = (int *)lua_touserdata(L, 2);
    lua_settop(L, 1);
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int tg_lua_ref(lua_State *L, int *ref) {
    if (!lua_checkstack(L, 2)) {
        return LUA_ERRMEM;
    }
    lua_pushcfunction(L, tg_lua_ref_body);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, ref);
    return lua_pcall(L, 2, 0, 0);
}

int tg_lua_load(lua_State *L, const char *chunk, size_t length, const char *chunkname, int *ref) {
    return tg_lua_loadx(L, chunk, length, chunkname, "t", ref);
}

int tg_lua_loadx(lua_State *L, const char *chunk, size_t length, const char *chunkname, const char *mode, int *ref) {
    if (!lua_checkstack(L, 3)) {
        return LUA_ERRMEM;
    }
    int status = luaL_loadbufferx(L, chunk, length, chunkname, mode);
    if (status != LUA_OK) {
        return status;
    }
    return tg_lua_ref(L, ref);
}

struct tg_lua_describe_args {
    lua_State *co;
    int level;
};

static int tg_lua_describe_error_body(lua_State *L) {
    struct tg_lua_describe_args *args = (struct tg_lua_describe_args *)lua_touserdata(L, 2);
    int type = lua_type(L, 1);
    if (type == LUA_TSTRING || type == LUA_TNUMBER) {
        lua_pushvalue(L, 1);
        lua_tostring(L, -1);
    } else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
        // message pushed by __tostring
    } else {
        lua_settop(L, 2);
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, args->co, NULL, args->level);
    return 2;
}

int tg_lua_describe_error(lua_State *L, lua_State *co, int level) {
    if (!lua_checkstack(L, 3)) {
        return LUA_ERRMEM;
    }
    struct tg_lua_describe_args args = {co, level};
    lua_pushcfunction(L, tg_lua_describe_error_body);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, &args);
    return lua_pcall(L, 2, 2, 0);
}

// MARK: - Value encoding

void tg_lua_buffer_free(tg_lua_buffer *buffer) {
    free(buffer->data);
    buffer->data = NULL;
    buffer->length = 0;
    buffer->capacity = 0;
}

/// Key (by address) of the metatable marking object userdata in the registry.
static const char tg_lua_object_key = 0;

/// Contents of an object userdata.
typedef struct tg_lua_object {
    uint64_t handle;
} tg_lua_object;

/// If the table at `idx` is an object table, stores its handle and returns 1. Needs 2 free stack slots.
static int tg_lua_object_handle(lua_State *L, int idx, uint64_t *handle) {
    int found = 0;
    if (lua_rawgeti(L, idx, 0) == LUA_TUSERDATA && lua_getmetatable(L, -1)) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &tg_lua_object_key);
        if (lua_rawequal(L, -1, -2)) {
            *handle = ((tg_lua_object *)lua_touserdata(L, -3))->handle;
            found = 1;
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    return found;
}

static void tg_lua_buffer_append(lua_State *L, tg_lua_buffer *buffer, const void *bytes, size_t length) {
    if (buffer->capacity - buffer->length < length) {
        size_t capacity = buffer->capacity < 64 ? 64 : buffer->capacity;
        while (capacity - buffer->length < length) {
            if (capacity > ((size_t)-1) / 2) {
                luaL_error(L, "not enough memory");
            }
            capacity *= 2;
        }
        unsigned char *data = (unsigned char *)realloc(buffer->data, capacity);
        if (data == NULL) {
            luaL_error(L, "not enough memory");
        }
        buffer->data = data;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
}

static void tg_lua_buffer_tag(lua_State *L, tg_lua_buffer *buffer, unsigned char tag) {
    tg_lua_buffer_append(L, buffer, &tag, 1);
}

static void tg_lua_buffer_u64(lua_State *L, tg_lua_buffer *buffer, uint64_t value) {
    tg_lua_buffer_append(L, buffer, &value, sizeof value);
}

/// Encoder state: the output, and the function references made so far (released if the encoding fails).
struct tg_lua_encoder {
    tg_lua_buffer *out;
    tg_lua_buffer refs;
};

static void tg_lua_encode_value(lua_State *L, int idx, struct tg_lua_encoder *encoder, int depth) {
    tg_lua_buffer *out = encoder->out;
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        tg_lua_buffer_tag(L, out, TG_LUA_TAG_NIL);
        break;
    case LUA_TBOOLEAN:
        tg_lua_buffer_tag(L, out, lua_toboolean(L, idx) ? TG_LUA_TAG_TRUE : TG_LUA_TAG_FALSE);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            int64_t value = (int64_t)lua_tointeger(L, idx);
            tg_lua_buffer_tag(L, out, TG_LUA_TAG_INTEGER);
            tg_lua_buffer_append(L, out, &value, sizeof value);
        } else {
            double value = (double)lua_tonumber(L, idx);
            tg_lua_buffer_tag(L, out, TG_LUA_TAG_FLOAT);
            tg_lua_buffer_append(L, out, &value, sizeof value);
        }
        break;
    case LUA_TSTRING: {
        size_t length = 0;
        const char *bytes = lua_tolstring(L, idx, &length);
        tg_lua_buffer_tag(L, out, TG_LUA_TAG_STRING);
        tg_lua_buffer_u64(L, out, (uint64_t)length);
        tg_lua_buffer_append(L, out, bytes, length);
        break;
    }
    case LUA_TFUNCTION: {
        // Record the reference before anything else can fail, so that a failed encoding releases it.
        int none = LUA_NOREF;
        tg_lua_buffer_append(L, &encoder->refs, &none, sizeof none);
        luaL_checkstack(L, 2, "converting a function");
        lua_pushvalue(L, idx);
        int32_t ref = (int32_t)luaL_ref(L, LUA_REGISTRYINDEX);
        memcpy(encoder->refs.data + encoder->refs.length - sizeof none, &ref, sizeof ref);
        tg_lua_buffer_tag(L, out, TG_LUA_TAG_FUNCTION);
        tg_lua_buffer_append(L, out, &ref, sizeof ref);
        break;
    }
    case LUA_TTABLE: {
        if (depth >= TG_LUA_MAX_DEPTH) {
            luaL_error(L, "table nesting too deep to convert (cycle?)");
        }
        luaL_checkstack(L, 4, "converting a table");
        uint64_t handle = 0;
        if (tg_lua_object_handle(L, idx, &handle)) {
            int32_t ref = LUA_NOREF;
            tg_lua_buffer_tag(L, out, TG_LUA_TAG_OBJECT);
            tg_lua_buffer_u64(L, out, handle);
            tg_lua_buffer_append(L, out, &ref, sizeof ref);
            break;
        }
        lua_Integer count = 0;
        while (lua_rawgeti(L, idx, count + 1) != LUA_TNIL) {
            lua_pop(L, 1);
            count += 1;
        }
        lua_pop(L, 1);
        tg_lua_buffer_tag(L, out, TG_LUA_TAG_TABLE);
        tg_lua_buffer_u64(L, out, (uint64_t)count);
        size_t hash_count_offset = out->length;
        tg_lua_buffer_u64(L, out, 0);
        for (lua_Integer i = 1; i <= count; i++) {
            lua_rawgeti(L, idx, i);
            tg_lua_encode_value(L, -1, encoder, depth + 1);
            lua_pop(L, 1);
        }
        uint64_t hash_count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx) != 0) {
            if (lua_isinteger(L, -2)) {
                lua_Integer key = lua_tointeger(L, -2);
                if (key >= 1 && key <= count) {
                    lua_pop(L, 1);
                    continue;
                }
            }
            tg_lua_encode_value(L, -2, encoder, depth + 1);
            tg_lua_encode_value(L, -1, encoder, depth + 1);
            lua_pop(L, 1);
            hash_count += 1;
        }
        memcpy(encoder->out->data + hash_count_offset, &hash_count, sizeof hash_count);
        break;
    }
    default:
        luaL_error(L, "cannot convert a %s value", luaL_typename(L, idx));
    }
}

static int tg_lua_encode_body(lua_State *L) {
    struct tg_lua_encoder *encoder = (struct tg_lua_encoder *)lua_touserdata(L, 1);
    int top = lua_gettop(L);
    for (int i = 2; i <= top; i++) {
        tg_lua_encode_value(L, i, encoder, 0);
    }
    return 0;
}

/// Non-raising append (0 when memory is exhausted).
static int tg_lua_buffer_try_append(tg_lua_buffer *buffer, const void *bytes, size_t length) {
    if (buffer->capacity - buffer->length < length) {
        size_t capacity = buffer->capacity < 256 ? 256 : buffer->capacity;
        while (capacity - buffer->length < length) {
            if (capacity > ((size_t)-1) / 2) {
                return 0;
            }
            capacity *= 2;
        }
        unsigned char *data = (unsigned char *)realloc(buffer->data, capacity);
        if (data == NULL) {
            return 0;
        }
        buffer->data = data;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
    return 1;
}

/// The unprotected half of `tg_lua_encode_arguments`: 1 when every value was encoded, 0 when one needs the
/// protected encoder (or memory ran out). Only non-raising API calls: no allocation in Lua, no metamethods.
static int tg_lua_encode_scalars(lua_State *L, int first, int count, tg_lua_buffer *out) {
    if (!lua_checkstack(L, 4)) {
        return 0;
    }
    for (int i = 0; i < count; i++) {
        int idx = first + i;
        unsigned char tag;
        switch (lua_type(L, idx)) {
        case LUA_TNIL:
            tag = TG_LUA_TAG_NIL;
            if (!tg_lua_buffer_try_append(out, &tag, 1)) return 0;
            break;
        case LUA_TBOOLEAN:
            tag = lua_toboolean(L, idx) ? TG_LUA_TAG_TRUE : TG_LUA_TAG_FALSE;
            if (!tg_lua_buffer_try_append(out, &tag, 1)) return 0;
            break;
        case LUA_TNUMBER:
            if (lua_isinteger(L, idx)) {
                int64_t value = (int64_t)lua_tointeger(L, idx);
                tag = TG_LUA_TAG_INTEGER;
                if (!tg_lua_buffer_try_append(out, &tag, 1) || !tg_lua_buffer_try_append(out, &value, sizeof value))
                    return 0;
            } else {
                double value = (double)lua_tonumber(L, idx);
                tag = TG_LUA_TAG_FLOAT;
                if (!tg_lua_buffer_try_append(out, &tag, 1) || !tg_lua_buffer_try_append(out, &value, sizeof value))
                    return 0;
            }
            break;
        case LUA_TSTRING: {
            // A string value: lua_tolstring returns its bytes without converting (no allocation).
            size_t length = 0;
            const char *bytes = lua_tolstring(L, idx, &length);
            uint64_t length64 = (uint64_t)length;
            tag = TG_LUA_TAG_STRING;
            if (!tg_lua_buffer_try_append(out, &tag, 1) || !tg_lua_buffer_try_append(out, &length64, sizeof length64)
                || !tg_lua_buffer_try_append(out, bytes, length))
                return 0;
            break;
        }
        case LUA_TTABLE: {
            uint64_t handle = 0;
            int32_t ref = LUA_NOREF;
            if (!tg_lua_object_handle(L, idx, &handle)) return 0;
            tag = TG_LUA_TAG_OBJECT;
            if (!tg_lua_buffer_try_append(out, &tag, 1) || !tg_lua_buffer_try_append(out, &handle, sizeof handle)
                || !tg_lua_buffer_try_append(out, &ref, sizeof ref))
                return 0;
            break;
        }
        default:
            return 0;
        }
    }
    return 1;
}

int tg_lua_encode_arguments(lua_State *L, int first, int count, tg_lua_buffer *fallback,
                            const unsigned char **bytes, size_t *length) {
    first = lua_absindex(L, first);
    tg_lua_runtime *runtime = tg_lua_getruntime(L);
    if (runtime != NULL && count >= 0) {
        runtime->scratch.length = 0;
        if (tg_lua_encode_scalars(L, first, count, &runtime->scratch)) {
            *bytes = runtime->scratch.data;
            *length = runtime->scratch.length;
            return LUA_OK;
        }
    }
    int status = tg_lua_encode(L, first, count, fallback);
    *bytes = fallback->data;
    *length = fallback->length;
    return status;
}

void tg_lua_runtime_free_scratch(tg_lua_runtime *runtime) {
    tg_lua_buffer_free(&runtime->scratch);
}

int tg_lua_encode(lua_State *L, int first, int count, tg_lua_buffer *out) {
    first = lua_absindex(L, first);
    if (count < 0 || !lua_checkstack(L, count + 2)) {
        return LUA_ERRMEM;
    }
    struct tg_lua_encoder encoder = {out, {NULL, 0, 0}};
    lua_pushcfunction(L, tg_lua_encode_body);
    lua_pushlightuserdata(L, &encoder);
    for (int i = 0; i < count; i++) {
        lua_pushvalue(L, first + i);
    }
    int status = lua_pcall(L, count + 1, 0, 0);
    if (status != LUA_OK && lua_checkstack(L, 2)) {
        // `luaL_unref` only writes existing registry slots: it does not raise.
        for (size_t offset = 0; offset + sizeof(int) <= encoder.refs.length; offset += sizeof(int)) {
            int ref;
            memcpy(&ref, encoder.refs.data + offset, sizeof ref);
            luaL_unref(L, LUA_REGISTRYINDEX, ref);
        }
    }
    tg_lua_buffer_free(&encoder.refs);
    return status;
}

struct tg_lua_decoder {
    const unsigned char *bytes;
    size_t length;
    size_t position;
    int count;
};

static const unsigned char *tg_lua_decoder_take(lua_State *L, struct tg_lua_decoder *decoder, size_t length) {
    if (decoder->length - decoder->position < length) {
        luaL_error(L, "malformed value encoding");
    }
    const unsigned char *bytes = decoder->bytes + decoder->position;
    decoder->position += length;
    return bytes;
}

static uint64_t tg_lua_decoder_u64(lua_State *L, struct tg_lua_decoder *decoder) {
    uint64_t value;
    memcpy(&value, tg_lua_decoder_take(L, decoder, sizeof value), sizeof value);
    return value;
}

static void tg_lua_decode_value(lua_State *L, struct tg_lua_decoder *decoder, int depth) {
    luaL_checkstack(L, 3, "decoding a value");
    unsigned char tag = *tg_lua_decoder_take(L, decoder, 1);
    switch (tag) {
    case TG_LUA_TAG_NIL:
        lua_pushnil(L);
        break;
    case TG_LUA_TAG_FALSE:
    case TG_LUA_TAG_TRUE:
        lua_pushboolean(L, tag == TG_LUA_TAG_TRUE);
        break;
    case TG_LUA_TAG_INTEGER: {
        int64_t value;
        memcpy(&value, tg_lua_decoder_take(L, decoder, sizeof value), sizeof value);
        lua_pushinteger(L, (lua_Integer)value);
        break;
    }
    case TG_LUA_TAG_FLOAT: {
        double value;
        memcpy(&value, tg_lua_decoder_take(L, decoder, sizeof value), sizeof value);
        lua_pushnumber(L, (lua_Number)value);
        break;
    }
    case TG_LUA_TAG_STRING: {
        uint64_t length = tg_lua_decoder_u64(L, decoder);
        const unsigned char *bytes = tg_lua_decoder_take(L, decoder, (size_t)length);
        lua_pushlstring(L, (const char *)bytes, (size_t)length);
        break;
    }
    case TG_LUA_TAG_TABLE: {
        if (depth >= TG_LUA_MAX_DEPTH) {
            luaL_error(L, "table nesting too deep to convert");
        }
        uint64_t array_count = tg_lua_decoder_u64(L, decoder);
        uint64_t hash_count = tg_lua_decoder_u64(L, decoder);
        if (array_count > decoder->length || hash_count > decoder->length) {
            luaL_error(L, "malformed value encoding");
        }
        lua_createtable(L, (int)array_count, (int)hash_count);
        for (uint64_t i = 1; i <= array_count; i++) {
            tg_lua_decode_value(L, decoder, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i);
        }
        for (uint64_t i = 0; i < hash_count; i++) {
            tg_lua_decode_value(L, decoder, depth + 1);
            tg_lua_decode_value(L, decoder, depth + 1);
            lua_rawset(L, -3);
        }
        break;
    }
    case TG_LUA_TAG_FUNCTION: {
        int32_t ref;
        memcpy(&ref, tg_lua_decoder_take(L, decoder, sizeof ref), sizeof ref);
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        break;
    }
    case TG_LUA_TAG_OBJECT: {
        int32_t ref;
        (void)tg_lua_decoder_u64(L, decoder);
        memcpy(&ref, tg_lua_decoder_take(L, decoder, sizeof ref), sizeof ref);
        if (ref >= 0) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        } else {
            lua_pushnil(L);
        }
        break;
    }
    default:
        luaL_error(L, "malformed value encoding");
    }
}

static int tg_lua_decode_body(lua_State *L) {
    struct tg_lua_decoder *decoder = (struct tg_lua_decoder *)lua_touserdata(L, 1);
    lua_settop(L, 0);
    while (decoder->position < decoder->length) {
        tg_lua_decode_value(L, decoder, 0);
        decoder->count += 1;
    }
    return decoder->count;
}

int tg_lua_push_encoded(lua_State *L, const unsigned char *bytes, size_t length, int *count) {
    struct tg_lua_decoder decoder = {bytes, length, 0, 0};
    int status = tg_lua_protect(L, tg_lua_decode_body, &decoder, LUA_MULTRET);
    if (status == LUA_OK) {
        *count = decoder.count;
    }
    return status;
}

struct tg_lua_message {
    const char *bytes;
    size_t length;
};

static int tg_lua_push_error_body(lua_State *L) {
    struct tg_lua_message *message = (struct tg_lua_message *)lua_touserdata(L, 1);
    // Level 0 is this function, 1 the Swift function's closure, 2 the Lua code that called it.
    luaL_where(L, 2);
    lua_pushlstring(L, message->bytes, message->length);
    lua_concat(L, 2);
    return 1;
}

int tg_lua_push_error(lua_State *L, const char *message, size_t length) {
    struct tg_lua_message args = {message, length};
    return tg_lua_protect(L, tg_lua_push_error_body, &args, 1);
}

// MARK: - Checked functions, classes, objects, module tables

enum {
    TG_LUA_UPVALUE_NAME = 3,
    TG_LUA_UPVALUE_MIN = 4,
    TG_LUA_UPVALUE_MAX = 5,
    TG_LUA_UPVALUE_CLASS = 6,
};

/// Like `tg_lua_trampoline`, after HAProxy-style arity and self checks (see the header).
static int tg_lua_checked_trampoline(lua_State *L) {
    int top = lua_gettop(L);
    int min = (int)lua_tointeger(L, lua_upvalueindex(TG_LUA_UPVALUE_MIN));
    int max = (int)lua_tointeger(L, lua_upvalueindex(TG_LUA_UPVALUE_MAX));
    if (top < min || (max >= 0 && top > max)) {
        const char *name = lua_tostring(L, lua_upvalueindex(TG_LUA_UPVALUE_NAME));
        if (min == max) {
            return luaL_error(L, "'%s' needs %d arguments", name, min);
        } else if (max < 0) {
            return luaL_error(L, "'%s' needs at least %d arguments", name, min);
        }
        return luaL_error(L, "'%s' needs between %d and %d arguments", name, min, max);
    }
    if (!lua_isnil(L, lua_upvalueindex(TG_LUA_UPVALUE_CLASS))) {
        luaL_checkstack(L, 4, NULL);
        uint64_t handle = 0;
        int ok = lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1);
        if (ok) {
            ok = lua_rawequal(L, -1, lua_upvalueindex(TG_LUA_UPVALUE_CLASS));
            lua_pop(L, 1);
        }
        if (!ok || !tg_lua_object_handle(L, 1, &handle)) {
            lua_getfield(L, lua_upvalueindex(TG_LUA_UPVALUE_CLASS), "__name");
            const char *class_name = lua_tostring(L, -1);
            return luaL_typeerror(L, 1, class_name != NULL ? class_name : "object");
        }
        tg_lua_getruntime(L)->self_handle = handle;
    }
    int count = 0;
    int result = tg_lua_call_swift(L, 0, &count);
    return tg_lua_finish(L, result, count);
}

struct tg_lua_checked_args {
    tg_lua_callback callback;
    void *context;
    const char *name;
    int min;
    int max;
    int class_ref;
};

static void tg_lua_pushchecked(lua_State *L, const struct tg_lua_checked_args *args) {
    luaL_checkstack(L, 6, NULL);
    lua_pushlightuserdata(L, args->context);
    tg_lua_callback *slot = (tg_lua_callback *)lua_newuserdatauv(L, sizeof *slot, 0);
    *slot = args->callback;
    lua_pushstring(L, args->name);
    lua_pushinteger(L, args->min);
    lua_pushinteger(L, args->max);
    if (args->class_ref >= 0) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, args->class_ref);
    } else {
        lua_pushnil(L);
    }
    lua_pushcclosure(L, tg_lua_checked_trampoline, 6);
}

static int tg_lua_push_checked_body(lua_State *L) {
    tg_lua_pushchecked(L, (const struct tg_lua_checked_args *)lua_touserdata(L, 1));
    return 1;
}

int tg_lua_push_checked_function(lua_State *L, tg_lua_callback callback, void *context, const char *name,
                                 int min, int max, int class_ref) {
    struct tg_lua_checked_args args = {callback, context, name, min, max, class_ref};
    return tg_lua_protect(L, tg_lua_push_checked_body, &args, 1);
}

struct tg_lua_setfield_args {
    int table_ref;
    const char *name;
};

static int tg_lua_setfield_body(lua_State *L) {
    struct tg_lua_setfield_args *args = (struct tg_lua_setfield_args *)lua_touserdata(L, 2);
    if (lua_rawgeti(L, LUA_REGISTRYINDEX, args->table_ref) != LUA_TTABLE) {
        return luaL_error(L, "cannot set field '%s' (not a table)", args->name);
    }
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, args->name);
    return 0;
}

int tg_lua_setfield(lua_State *L, int table_ref, const char *name) {
    if (!lua_checkstack(L, 3)) {
        lua_pop(L, 1);
        return LUA_ERRMEM;
    }
    struct tg_lua_setfield_args args = {table_ref, name};
    lua_pushcfunction(L, tg_lua_setfield_body);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, &args);
    int status = lua_pcall(L, 2, 0, 0);
    if (status != LUA_OK) {
        lua_pop(L, 1);
    }
    return status;
}

static int tg_lua_newtable_body(lua_State *L) {
    lua_newtable(L);
    return 1;
}

int tg_lua_newtable_ref(lua_State *L, int *ref) {
    int status = tg_lua_protect(L, tg_lua_newtable_body, NULL, 1);
    if (status != LUA_OK) {
        return status;
    }
    return tg_lua_ref(L, ref);
}

struct tg_lua_newclass_args {
    const char *name;
    int class_ref;
};

static int tg_lua_newclass_body(lua_State *L) {
    struct tg_lua_newclass_args *args = (struct tg_lua_newclass_args *)lua_touserdata(L, 1);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &tg_lua_object_key) == LUA_TNIL) {
        lua_newtable(L);
        lua_pushliteral(L, "tidegate.object");
        lua_setfield(L, -2, "__name");
        lua_pushliteral(L, "not accessible");
        lua_setfield(L, -2, "__metatable");
        lua_rawsetp(L, LUA_REGISTRYINDEX, &tg_lua_object_key);
    }
    lua_pop(L, 1);
    if (!luaL_newmetatable(L, args->name)) {
        return luaL_error(L, "class '%s' is already registered", args->name);
    }
    lua_newtable(L);
    lua_setfield(L, -2, "__index");
    args->class_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int tg_lua_newclass(lua_State *L, const char *name, int *class_ref) {
    int top = lua_gettop(L);
    struct tg_lua_newclass_args args = {name, LUA_NOREF};
    int status = tg_lua_protect(L, tg_lua_newclass_body, &args, 0);
    if (status == LUA_OK) {
        *class_ref = args.class_ref;
        lua_settop(L, top);
    }
    return status;
}

static int tg_lua_class_add_method_body(lua_State *L) {
    const struct tg_lua_checked_args *args = (const struct tg_lua_checked_args *)lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, args->class_ref);
    lua_getfield(L, -1, "__index");
    tg_lua_pushchecked(L, args);
    lua_setfield(L, -2, args->name);
    return 0;
}

int tg_lua_class_add_method(lua_State *L, int class_ref, const char *name, tg_lua_callback callback,
                            void *context, int min, int max) {
    int top = lua_gettop(L);
    struct tg_lua_checked_args args = {callback, context, name, min, max, class_ref};
    int status = tg_lua_protect(L, tg_lua_class_add_method_body, &args, 0);
    if (status == LUA_OK) {
        lua_settop(L, top);
    }
    return status;
}

struct tg_lua_newobject_args {
    int class_ref;
    uint64_t handle;
    int table_ref;
};

static int tg_lua_newobject_body(lua_State *L) {
    struct tg_lua_newobject_args *args = (struct tg_lua_newobject_args *)lua_touserdata(L, 1);
    // Room for [0] and the lazily added fields (txn.f, txn.sf, txn.http...) without rehashing.
    lua_createtable(L, 0, 4);
    tg_lua_object *object = (tg_lua_object *)lua_newuserdatauv(L, sizeof *object, 0);
    object->handle = args->handle;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &tg_lua_object_key);
    lua_setmetatable(L, -2);
    lua_rawseti(L, -2, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, args->class_ref);
    lua_setmetatable(L, -2);
    args->table_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int tg_lua_newobject(lua_State *L, int class_ref, uint64_t handle, int *table_ref) {
    int top = lua_gettop(L);
    struct tg_lua_newobject_args args = {class_ref, handle, LUA_NOREF};
    int status = tg_lua_protect(L, tg_lua_newobject_body, &args, 0);
    if (status == LUA_OK) {
        *table_ref = args.table_ref;
        lua_settop(L, top);
    }
    return status;
}
