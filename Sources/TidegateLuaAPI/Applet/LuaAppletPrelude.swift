/// The Lua half of the applet classes, run once per state by `LuaAppletBindings.register`.
///
/// HAProxy fills an applet object's fields when the service starts: `f`, `sf`, `c`, `sc` on both classes, and
/// `method`, `version`, `path`, `qs`, `length`, `headers` on AppletHTTP. Building them costs as much as the rest of a
/// small service, and most services read few of them, so here each class's `__index` makes them on first access
/// and stores them in the object table: from then on they are plain fields, as in HAProxy, which scripts may
/// overwrite. The six HTTP attributes come together from one Swift call. The only visible difference:
/// `pairs(applet)` lists a field only after it was read.
enum LuaAppletPrelude {
    static let name = "tidegate/applet"
    /// The hidden method returning the HTTP attributes (in `attributes` order).
    static let attributesMethod = "__attributes"
    /// The hidden method making `f`, `sf`, `c` or `sc`.
    static let fieldMethod = "__field"

    static let source = """
        local registry = debug.getregistry()
        local rawget, rawset, ipairs, setmetatable = rawget, rawset, ipairs, setmetatable
        local objects = { f = true, sf = true, c = true, sc = true }
        local names = { "method", "version", "path", "qs", "length", "headers" }
        local attributes = {}
        for _, name in ipairs(names) do attributes[name] = true end
        local filled = setmetatable({}, { __mode = "k" })

        for _, class in ipairs({ "AppletHTTP", "AppletTCP" }) do
            local meta = registry[class]
            local methods = meta.__index
            local make_field = methods.\(fieldMethod)
            methods.\(fieldMethod) = nil
            local make_attributes = methods.\(attributesMethod)
            methods.\(attributesMethod) = nil
            meta.__index = function(applet, key)
                local method = methods[key]
                if method ~= nil then return method end
                if objects[key] then
                    local value = make_field(applet, key)
                    rawset(applet, key, value)
                    return value
                end
                if make_attributes and attributes[key] and not filled[applet] then
                    filled[applet] = true
                    local values = { make_attributes(applet) }
                    for i, name in ipairs(names) do
                        if rawget(applet, name) == nil then rawset(applet, name, values[i]) end
                    end
                    return rawget(applet, key)
                end
                return nil
            end
        end
        """
}
