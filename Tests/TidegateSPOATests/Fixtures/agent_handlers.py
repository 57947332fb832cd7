# Handlers for TidegateSPOATests (Python engine): the same messages as agent_handlers.lua where it makes sense.
import ipaddress
import time

import spoa
from spoa_test_describe import describe  # found next to this script


def all_types(args):
    spoa.set_var_null("null", spoa.scope_txn)
    spoa.set_var_boolean("boolean", spoa.scope_txn, True)
    spoa.set_var_int32("int32", spoa.scope_txn, -2147483648)
    spoa.set_var_uint32("uint32", spoa.scope_txn, 4294967295)
    spoa.set_var_int64("int64", spoa.scope_txn, -9223372036854775808)
    spoa.set_var_uint64("uint64", spoa.scope_txn, 18446744073709551615)
    spoa.set_var_ipv4("ipv4", spoa.scope_sess, ipaddress.IPv4Address("192.0.2.7"))
    spoa.set_var_ipv6("ipv6", spoa.scope_req, ipaddress.IPv6Address("2001:db8::1"))
    spoa.set_var_str("str", spoa.scope_res, "h\u00e9llo")
    spoa.set_var_bin("bin", spoa.scope_proc, b"\x00\x01\xff")
    spoa.unset_var("gone", spoa.scope_txn)


def echo_args(args):
    for index, arg in enumerate(args, start=1):
        spoa.set_var_str("%02d:%s" % (index, arg["name"]), spoa.scope_txn, describe(arg["value"]))


def work(args):
    spoa.set_var_int64("id", spoa.scope_txn, args[0]["value"])


def sleeps(args):
    # Releases the GIL: other handler threads run meanwhile.
    time.sleep(args[1]["value"] / 1000)
    spoa.set_var_int64("id", spoa.scope_txn, args[0]["value"])


def runaway(args):
    spoa.set_var_int32("before", spoa.scope_txn, 1)
    while True:
        pass


def fails(args):
    spoa.set_var_int32("before", spoa.scope_txn, 1)
    raise ValueError("boom")


def checks(args):
    def attempt(name, function, *arguments):
        try:
            function(*arguments)
            result = "ok"
        except Exception as error:
            result = "%s: %s" % (type(error).__name__, error)
        spoa.set_var_str(name, spoa.scope_txn, result)

    attempt("int32", spoa.set_var_int32, "v", spoa.scope_txn, 2147483648)
    attempt("uint32", spoa.set_var_uint32, "v", spoa.scope_txn, -1)
    attempt("uint64", spoa.set_var_uint64, "v", spoa.scope_txn, 2 ** 64)
    attempt("ipv4", spoa.set_var_ipv4, "v", spoa.scope_txn, ipaddress.IPv6Address("::1"))
    attempt("ipv4text", spoa.set_var_ipv4, "v", spoa.scope_txn, "10.0.0.1")
    attempt("scope", spoa.set_var_str, "v", 9, "x")
    attempt("boolean", spoa.set_var_boolean, "v", spoa.scope_txn, "yes")
    attempt("arity", spoa.set_var_int32, "v", spoa.scope_txn)
    attempt("register", spoa.register_message, "late", work)


spoa.register_message("all-types", all_types)
spoa.register_message("echo-args", echo_args)
spoa.register_message("py-work", work)
spoa.register_message("sleeps", sleeps)
spoa.register_message("runaway", runaway)
spoa.register_message("fails", fails)
spoa.register_message("checks", checks)

try:
    spoa.set_var_int32("x", spoa.scope_txn, 1)
    LOAD_ERROR = "none"
except spoa.error as error:
    LOAD_ERROR = str(error)
spoa.register_message("load-error", lambda args: spoa.set_var_str("e", spoa.scope_txn, LOAD_ERROR))
