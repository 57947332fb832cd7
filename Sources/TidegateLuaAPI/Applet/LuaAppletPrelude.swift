/// The Lua half of the applet classes, run once per state by `LuaAppletBindings.register`.
///
/// HAProxy fills `method`, `version`, `path`, `qs`, `length` and `headers` into every AppletHTTP object when the
/// service starts. Building them costs as much as the rest of a small service, and most services read none, so
/// here the class's `__index` makes all six on the first access of any of them (one Swift call) and stores them
/// in the object table: from then on they are plain fields, as in HAProxy, which scripts may overwrite. The only
/// visible difference: `pairs(applet)` lists them only after one was read.
enum LuaAppletPrelude {
    static let name = "tidegate/applet"
    /// The hidden method returning the attributes (in `attributes` order).
    static let attributesMethod = "__attributes"

    static let source = """
        local registry = debug.getregistry()
        local rawget, rawset, ipairs = rawget, rawset, ipairs
        local filled = setmetatable({}, { __mode = "k" })
        local meta = registry.AppletHTTP
        local methods = meta.__index
        local make = methods.\(attributesMethod)
        methods.\(attributesMethod) = nil
        local names = { "method", "version", "path", "qs", "length", "headers" }
        local lazy = {}
        for _, name in ipairs(names) do lazy[name] = true end
        meta.__index = function(applet, key)
            local method = methods[key]
            if method ~= nil then return method end
            if lazy[key] and not filled[applet] then
                filled[applet] = true
                local values = { make(applet) }
                for i, name in ipairs(names) do
                    if rawget(applet, name) == nil then rawset(applet, name, values[i]) end
                end
                return rawget(applet, key)
            end
            return nil
        end
        """
}
