# "<type>:<value>" for a handler argument (imported by agent_handlers.py from the script's directory).
def describe(value):
    return "%s:%s" % (type(value).__name__, value if not isinstance(value, bytes) else value.hex())
