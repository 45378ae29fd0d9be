# tests/cli/expect.sh — sourced by the tests/cli/run-*.sh scripts: counters
# and one check of a command's exit status and output.
pass=0 fail=0

# expect NAME STATUS PATTERN -- CMD...: run CMD, check its exit status and
# that its combined output contains PATTERN (a fixed string).
expect() {
    local name=$1 want=$2 pat=$3
    shift 4
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ] && printf '%s' "$out" | grep -qF -- "$pat"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: exit $rc (want $want), output:"
        printf '%s\n' "$out" | head -20 | sed 's/^/    /'
        echo "    (wanted to contain: $pat)"
    fi
}
