# The agent side of SPOAEndToEndTests in Python: the same variables as spoa_e2e.lua, with Python's values
# (ipaddress objects for addresses, bytes for binary).
import ipaddress

import spoa


def describe(value):
    return "%s:%s" % (type(value).__name__, value)


def e2e_check(args):
    seen = []
    tag, spin = "", 0
    for arg in args:
        seen.append("%s=%s" % (arg["name"], describe(arg["value"])))
        if arg["name"] == "tag" and arg["value"] is not None:
            tag = arg["value"]
        if arg["name"] == "spin" and arg["value"]:
            spin = int(arg["value"])
    x = 0
    for i in range(spin):
        x += i % 3

    spoa.set_var_boolean("boolean", spoa.scope_txn, True)
    spoa.set_var_int32("int32", spoa.scope_txn, -42)
    spoa.set_var_uint32("uint32", spoa.scope_txn, 4000000000)
    spoa.set_var_int64("int64", spoa.scope_txn, -9000000000000)
    spoa.set_var_uint64("uint64", spoa.scope_txn, 9000000000000)
    spoa.set_var_ipv4("ipv4", spoa.scope_txn, ipaddress.IPv4Address("10.1.2.3"))
    spoa.set_var_ipv6("ipv6", spoa.scope_txn, ipaddress.IPv6Address("2001:db8::7"))
    spoa.set_var_str("str", spoa.scope_txn, "tag=" + tag)
    spoa.set_var_bin("bin", spoa.scope_txn, b"bin-" + tag.encode())
    spoa.set_var_str("args", spoa.scope_txn, " ".join(seen))
    spoa.set_var_null("gone", spoa.scope_sess)
    spoa.unset_var("unset", spoa.scope_sess)


spoa.register_message("e2e-check", e2e_check)
