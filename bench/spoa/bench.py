# tidegate-spoa benchmark handler (bench/spoa-bench.sh): one message with five arguments, five variables set.
import spoa


def bench(args):
    spoa.set_var_ipv4("src", spoa.scope_txn, args[0]["value"])
    spoa.set_var_int64("port", spoa.scope_txn, args[1]["value"])
    spoa.set_var_str("method", spoa.scope_txn, args[2]["value"])
    spoa.set_var_str("path", spoa.scope_txn, args[3]["value"])
    spoa.set_var_boolean("seen", spoa.scope_txn, args[4]["value"] is not None)


spoa.register_message("bench", bench)
