/// The Lua half of the TXN bindings, run once per state by `LuaTXNBindings.register` (before any script).
///
/// It does what Swift methods cannot do through value-copying calls:
/// - `Fetches`/`Converters`: an `__index` that makes one method per keyword on first use, from the runtime's live
///   keyword table (so keywords registered after `register`, e.g. Lua fetches, are found too);
/// - `TXN`: an `__index` that builds the `f sf c sc req res http` fields on first access, `get_priv`/`set_priv`
///   (the value is kept by reference, as HAProxy's registry reference does), `reply` and the `Reply` methods
///   (a Reply is a plain Lua table with a metatable in HAProxy, edited in place).
/// The hidden Swift methods (`__call`, `__field`, `__is_http`) are taken out of the method tables, and the
/// temporary globals the Swift helpers came through are removed.
enum LuaTXNPrelude {
    static let name = "tidegate/txn"

    /// Temporary globals holding Swift helpers while the prelude runs.
    static let resolveFetchGlobal = "__tidegate_txn_resolve_fetch"
    static let resolveConverterGlobal = "__tidegate_txn_resolve_converter"
    static let reasonGlobal = "__tidegate_txn_reason"

    static let source = """
        local registry = debug.getregistry()
        local resolve_fetch = \(resolveFetchGlobal)
        local resolve_converter = \(resolveConverterGlobal)
        local reason_phrase = \(reasonGlobal)
        \(resolveFetchGlobal) = nil
        \(resolveConverterGlobal) = nil
        \(reasonGlobal) = nil
        local type, rawget, rawset, select, error, pairs, pcall = type, rawget, rawset, select, error, pairs, pcall
        local setmetatable, tostring, tonumber, tointeger = setmetatable, tostring, tonumber, math.tointeger
        local format = string.format

        local function hide(methods, name)
            local method = methods[name]
            methods[name] = nil
            return method
        end

        -- Fetches and Converters: methods made on first use and cached in the class's method table, so that
        -- later lookups are plain table hits.
        local function keywords(class, resolve)
            local methods = registry[class].__index
            local call = hide(methods, "__call")
            setmetatable(methods, { __index = function(_, name)
                if type(name) ~= "string" then return nil end
                local id = resolve(name)
                if id == nil then return nil end
                local method = function(self, ...) return call(self, id, ...) end
                rawset(methods, name, method)
                return method
            end })
        end
        keywords("Fetches", resolve_fetch)
        keywords("Converters", resolve_converter)

        -- Argument checks with the messages of the Lua auxiliary library (positions count self).
        local function typename(n, index, value)
            if index > n then return "no value" end
            return type(value)
        end
        local function check_integer(fname, n, index, value)
            local number = value
            if type(value) == "string" then number = tonumber(value) end
            if type(number) == "number" then
                local integer = tointeger(number)
                if integer == nil then
                    error(format("bad argument #%d to '%s' (number has no integer representation)", index, fname), 3)
                end
                return integer
            end
            local message = "bad argument #%d to '%s' (number expected, got %s)"
            error(format(message, index, fname, typename(n, index, value)), 3)
        end
        local function check_string(fname, n, index, value)
            local t = type(value)
            if t == "string" then return value end
            if t == "number" then return tostring(value) end
            local message = "bad argument #%d to '%s' (string expected, got %s)"
            error(format(message, index, fname, typename(n, index, value)), 3)
        end
        local function check_table(fname, n, index, value)
            if type(value) ~= "table" then
                local message = "bad argument #%d to '%s' (table expected, got %s)"
                error(format(message, index, fname, typename(n, index, value)), 3)
            end
        end

        -- TXN
        local txn_meta = registry.TXN
        local txn_methods = txn_meta.__index
        local make_field = hide(txn_methods, "__field")
        local txn_is_http = hide(txn_methods, "__is_http")
        local lazy = { f = true, sf = true, c = true, sc = true, req = true, res = true, http = true }
        txn_meta.__index = function(txn, key)
            local method = txn_methods[key]
            if method ~= nil then return method end
            if lazy[key] then
                local value = make_field(txn, key)
                if value ~= nil then rawset(txn, key, value) end
                return value
            end
            return nil
        end

        -- Checks that `txn` is a live TXN object; raises at the caller's level. Returns whether it is HTTP.
        local function check_txn(txn)
            local ok, result = pcall(txn_is_http, txn)
            if not ok then
                if type(result) == "string" then result = result:gsub("^[^:]*:%d+: ", "") end
                error(result, 3)
            end
            return result
        end

        local PRIV = {}
        txn_methods.set_priv = function(...)
            if select("#", ...) ~= 2 then error("'set_priv' needs 2 arguments", 2) end
            local txn, value = ...
            check_txn(txn)
            rawset(txn, PRIV, value)
        end
        txn_methods.get_priv = function(...)
            if select("#", ...) ~= 1 then error("'get_priv' needs 1 arguments", 2) end
            local txn = ...
            check_txn(txn)
            return rawget(txn, PRIV)
        end

        -- Reply
        local Reply = { __index = {} }
        local reply_methods = Reply.__index

        txn_methods.reply = function(txn, arg)
            if not check_txn(txn) then error("txn object is not an HTTP transaction.", 2) end
            local status, body = 200, nil
            local headers = {}
            if type(arg) == "table" then
                local given = arg.status
                if type(given) == "number" then status = tointeger(given) or 0 end
                -- HAProxy reads arg.reason but then replaces it with the status's phrase.
                if type(arg.body) == "string" then body = arg.body end
                local list = arg.headers
                if type(list) == "table" then
                    for name, value in pairs(list) do
                        local t = type(value)
                        if t == "string" or t == "number" then
                            headers[name] = { value }
                        elseif t == "table" then
                            local values = {}
                            for _, item in pairs(value) do
                                local it = type(item)
                                if it == "string" or it == "number" then values[#values + 1] = item end
                            end
                            headers[name] = values
                        end
                    end
                end
            end
            return setmetatable(
                { status = status, reason = reason_phrase(status), body = body, headers = headers }, Reply)
        end

        function reply_methods.set_status(...)
            local n = select("#", ...)
            local reply, status, reason = ...
            status = check_integer("set_status", n, 2, status)
            if reason ~= nil then reason = check_string("set_status", n, 3, reason) end
            check_table("set_status", n, 1, reply)
            if status < 100 or status > 599 then return false end
            reply.status = status
            reply.reason = reason or reason_phrase(status)
            return true
        end

        function reply_methods.add_header(...)
            local n = select("#", ...)
            local reply, name, value = ...
            name = check_string("add_header", n, 2, name)
            value = check_string("add_header", n, 3, value)
            check_table("add_header", n, 1, reply)
            local headers = reply.headers
            if type(headers) ~= "table" then
                error(format("Reply['headers'] is expected to a an array. %s found", type(headers)), 2)
            end
            local values = headers[name]
            if values == nil then
                values = {}
                headers[name] = values
            elseif type(values) ~= "table" then
                error(format("Reply['headers']['%s'] is expected to be an array. %s found", name, type(values)), 2)
            end
            values[#values + 1] = value
            return true
        end

        function reply_methods.del_header(...)
            local n = select("#", ...)
            local reply, name = ...
            name = check_string("del_header", n, 2, name)
            check_table("del_header", n, 1, reply)
            local headers = reply.headers
            if type(headers) ~= "table" then
                error(format("Reply['headers'] is expected to be an array. %s found", type(headers)), 2)
            end
            headers[name] = nil
            return true
        end

        function reply_methods.set_body(...)
            local n = select("#", ...)
            local reply, body = ...
            body = check_string("set_body", n, 2, body)
            check_table("set_body", n, 1, reply)
            reply.body = body
            return true
        end
        """
}
