-- Handlers for TidegateSPOATests (loaded by every worker of the agent under test).
-- `require` finds modules next to the script, as HAProxy's example agent expects.
local describe = require("spoa_test_describe")

-- Sets one variable of every type with fixed values, the way HAProxy's example script does.
spoa.register_message("all-types", function(args)
    spoa.set_var_null("null", spoa.scope.txn)
    spoa.set_var_boolean("boolean", spoa.scope.txn, true)
    spoa.set_var_int32("int32", spoa.scope.txn, -2147483648)
    spoa.set_var_uint32("uint32", spoa.scope.txn, 4294967295)
    spoa.set_var_int64("int64", spoa.scope.txn, math.mininteger)
    spoa.set_var_uint64("uint64", spoa.scope.txn, math.maxinteger)
    spoa.set_var_ipv4("ipv4", spoa.scope.sess, "192.0.2.7")
    spoa.set_var_ipv6("ipv6", spoa.scope.req, "2001:db8::1")
    spoa.set_var_str("str", spoa.scope.res, "h\195\169llo")
    spoa.set_var_bin("bin", spoa.scope.proc, "\0\1\255")
    spoa.unset_var("gone", spoa.scope.txn)
end)

-- Sends each argument back as a string describing its Lua type and value, in order.
spoa.register_message("echo-args", function(args)
    for i, arg in ipairs(args) do
        spoa.set_var_str(string.format("%02d:%s", i, arg.name), spoa.scope.txn, describe(arg.value))
    end
    -- Binary arguments come back byte for byte.
    for _, arg in ipairs(args) do
        if arg.name == "raw" then spoa.set_var_bin("raw", spoa.scope.txn, arg.value) end
    end
end)

-- Identifies the frame in its ACK; `spin` iterations of busy work first (forced yields let others pass).
spoa.register_message("work", function(args)
    local id, spin = args[1].value, args[2] and args[2].value or 0
    local x = 0
    for i = 1, spin do x = x + i % 7 end
    spoa.set_var_int64("id", spoa.scope.txn, id)
end)

spoa.register_message("runaway", function(args)
    spoa.set_var_int32("before", spoa.scope.txn, 1)
    while true do end
end)

spoa.register_message("fails", function(args)
    spoa.set_var_int32("before", spoa.scope.txn, 1)
    error("boom")
end)

spoa.register_message("hog-memory", function(args)
    local t = {}
    for i = 1, 1e9 do t[i] = string.rep("x", 64) .. i end
end)

-- Range and type checks raise Lua errors that a script can catch.
spoa.register_message("checks", function(args)
    local function try(name, f, ...)
        local ok, message = pcall(f, ...)
        spoa.set_var_str(name, spoa.scope.txn, ok and "ok" or message)
    end
    try("int32", spoa.set_var_int32, "v", spoa.scope.txn, 2147483648)
    try("uint32", spoa.set_var_uint32, "v", spoa.scope.txn, -1)
    try("uint64", spoa.set_var_uint64, "v", spoa.scope.txn, -1)
    try("ipv4", spoa.set_var_ipv4, "v", spoa.scope.txn, "300.1.1.1")
    try("ipv6", spoa.set_var_ipv6, "v", spoa.scope.txn, "1:::2")
    try("scope", spoa.set_var_str, "v", 9, "x")
    try("boolean", spoa.set_var_boolean, "v", spoa.scope.txn, 1)
    try("arity", spoa.set_var_int32, "v", spoa.scope.txn)
end)
