-- The script both HAProxy and Tidegate load in the Lua benchmark scenarios (bench/proxy-bench.sh).
-- Written for HAProxy's API; nothing in it is Tidegate-specific.

-- (a) lua-action / lua-shared: read a header, set a variable, set a request header.
core.register_action("bench_tag", { "http-req" }, function(txn)
    local host = txn.sf:req_hdr("host")
    txn:set_var("txn.bench_host", host)
    txn.http:req_set_header("x-bench", host)
end)

-- (b) lua-service: a small body answered by Lua.
core.register_service("bench_hello", "http", function(applet)
    applet:set_status(200)
    applet:add_header("content-type", "text/plain")
    applet:add_header("content-length", "6")
    applet:start_response()
    applet:send("hello\n")
end)

-- (c) lua-fetch: a fetch and a converter used in an ACL.
core.register_fetches("bench_one", function(txn)
    return 1
end)
core.register_converters("bench_suffix", function(s)
    return s .. "-ok"
end)
