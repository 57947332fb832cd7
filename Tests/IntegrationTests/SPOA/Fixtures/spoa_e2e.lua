-- The agent side of SPOAEndToEndTests: sets one variable of every type, describes the arguments it got,
-- and removes two session variables HAProxy set before it ran.
local function describe(value)
    local kind = type(value)
    if kind == "number" then kind = math.type(value) end
    return kind .. ":" .. tostring(value)
end

spoa.register_message("e2e-check", function(args)
    local seen, tag, spin = {}, "", 0
    for _, arg in ipairs(args) do
        seen[#seen + 1] = arg.name .. "=" .. describe(arg.value)
        if arg.name == "tag" and arg.value then tag = arg.value end
        if arg.name == "spin" and arg.value then spin = tonumber(arg.value) or 0 end
    end
    -- Busy work on request, so that frames pile up and HAProxy pipelines them.
    local x = 0
    for i = 1, spin do x = x + i % 3 end

    spoa.set_var_boolean("boolean", spoa.scope.txn, true)
    spoa.set_var_int32("int32", spoa.scope.txn, -42)
    spoa.set_var_uint32("uint32", spoa.scope.txn, 4000000000)
    spoa.set_var_int64("int64", spoa.scope.txn, -9000000000000)
    spoa.set_var_uint64("uint64", spoa.scope.txn, 9000000000000)
    spoa.set_var_ipv4("ipv4", spoa.scope.txn, "10.1.2.3")
    spoa.set_var_ipv6("ipv6", spoa.scope.txn, "2001:db8::7")
    spoa.set_var_str("str", spoa.scope.txn, "tag=" .. tag)
    spoa.set_var_bin("bin", spoa.scope.txn, "bin-" .. tag)
    spoa.set_var_str("args", spoa.scope.txn, table.concat(seen, " "))
    spoa.set_var_null("gone", spoa.scope.sess)
    spoa.unset_var("unset", spoa.scope.sess)
end)

-- The request body (HAProxy 2.6 fragments NOTIFYs larger than max-frame-size; the agent reassembles them).
spoa.register_message("e2e-body", function(args)
    spoa.set_var_int64("bodylen", spoa.scope.txn, #(args[1].value or ""))
end)
