# Shared by the bench scripts (sourced; REPO and SWIFT must be set).

# release_binary PRODUCT OVERRIDE: prints the path of PRODUCT's release binary: OVERRIDE when it is not empty,
# else the one `swift build -c release --product PRODUCT` makes (its build output goes to stderr).
release_binary() {
    local product=$1 override=${2:-}
    if [ -n "$override" ]; then
        printf '%s\n' "$override"
        return
    fi
    echo "building $product (release)..." >&2
    (cd "$REPO" && "$SWIFT" build -c release --product "$product" >&2)
    printf '%s/%s\n' "$(cd "$REPO" && "$SWIFT" build -c release --show-bin-path)" "$product"
}

# make_workdir NAME: sets `work` to a fresh directory and `pids` to an empty list; at exit (also on error or
# signal) every pid in `pids` is killed and the directory removed.
make_workdir() {
    work=$(mktemp -d "/tmp/$1.XXXXXX")
    pids=()
    trap _bench_cleanup EXIT INT TERM
}

_bench_cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
