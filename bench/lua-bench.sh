#!/usr/bin/env bash
# lua-bench.sh - the Lua scenarios of proxy-bench.sh: Tidegate against HAProxy (Debian's package) running the
# same bench/lua/bench.lua with the same rules, interleaved, printing ratios. Options are proxy-bench.sh's.
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$HERE/proxy-bench.sh" --scenarios lua-action,lua-service,lua-fetch,lua-shared "$@"
