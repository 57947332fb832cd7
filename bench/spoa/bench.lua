-- tidegate-spoa benchmark handler (bench/spoa-bench.sh): one message with five arguments, five variables set.
spoa.register_message("bench", function(args)
    spoa.set_var_ipv4("src", spoa.scope.txn, args[1].value)
    spoa.set_var_int64("port", spoa.scope.txn, args[2].value)
    spoa.set_var_str("method", spoa.scope.txn, args[3].value)
    spoa.set_var_str("path", spoa.scope.txn, args[4].value)
    spoa.set_var_boolean("seen", spoa.scope.txn, args[5].value ~= nil)
end)
