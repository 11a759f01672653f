#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_umf_info.sh -- tools/umf-info: options, text and --json output on
# this machine and on the fake topologies of tests/data (HWLOC_XMLFILE; see
# tests/memspace_helpers.h for what they hold), and its man page lint.
#
# Environment (exported by tests/local.mk): top_srcdir, top_builddir,
# MANDOC. Exit status: 0 pass, 1 fail.
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
srcdir=$(cd "$top_srcdir" && pwd) || exit 1
info="$top_builddir/tools/umf-info"
data="$srcdir/tests/data"

if [ ! -x "$info" ]; then
    echo "FAIL: $info is not built"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/umf_info.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

errors=0
checks=0
fail() {
    echo "FAIL: $*"
    errors=$((errors + 1))
}

# run NAME ARGS...: umf-info's stdout to $tmp/NAME, status to $status
run() {
    name=$1
    shift
    "$info" "$@" >"$tmp/$name" 2>"$tmp/$name.err"
    status=$?
}

# has NAME TEXT: a line of $tmp/NAME, blanks squeezed, equals TEXT
has() {
    checks=$((checks + 1))
    if ! sed 's/^ *//; s/  */ /g; s/ *$//' "$tmp/$1" | grep -Fqx -- "$2"; then
        fail "$1: no line '$2'"
        sed 's/^/    /' "$tmp/$1"
    fi
}

# json_has NAME TEXT: the JSON of $tmp/NAME, all blanks removed, contains
# TEXT (blanks removed too)
json_has() {
    checks=$((checks + 1))
    want=$(printf '%s' "$2" | tr -d ' \n')
    if ! tr -d ' \n' <"$tmp/$1" | grep -Fq -- "$want"; then
        fail "$1: no '$2'"
        sed 's/^/    /' "$tmp/$1"
    fi
}

json_valid() {
    checks=$((checks + 1))
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
            "$tmp/$1" 2>"$tmp/$1.json-err" ||
            fail "$1: not valid JSON: $(cat "$tmp/$1.json-err")"
    fi
}

# --- options ---
run help --help
[ "$status" -eq 0 ] || fail "--help exits $status"
has help "Usage: umf-info [--json]"
run version --version
[ "$status" -eq 0 ] || fail "--version exits $status"
version=$(cat "$srcdir/VERSION")
has version "umf-info (libumf) $version, UMF API 0.11"
run bad --bogus
[ "$status" -eq 2 ] || fail "an unknown option exits $status, not 2"
checks=$((checks + 1))
grep -q "unknown option '--bogus'" "$tmp/bad.err" ||
    fail "an unknown option is not reported on stderr"

# --- this machine ---
unset HWLOC_XMLFILE HWLOC_SYNTHETIC
run real
[ "$status" -eq 0 ] || fail "umf-info exits $status"
has real "libumf $version (UMF API 0.11)"
has real "Backends:"
has real "Memory targets (NUMA nodes):"
has real "Predefined memory spaces:"
run real.json --json
[ "$status" -eq 0 ] || fail "umf-info --json exits $status"
json_valid real.json
json_has real.json "\"version\": \"$version\", \"api_version\": \"0.11\""

if ! grep -q '^  hwloc  *built ' "$tmp/real"; then
    echo "libumf is built without hwloc: no topology to show"
    has real "none known"
    json_has real.json '"memory_targets": [],'
    json_has real.json '"host_all": null'
else
    json_has real.json '"name": "hwloc", "built": true, "loads": true'
    checks=$((checks + 1))
    grep -q '^  host-all  *[0-9]' "$tmp/real" ||
        fail "real: host-all has no nodes"

    # --- fake topology with bandwidth and latency values ---
    HWLOC_XMLFILE="$data/numa4_hmat.xml"
    export HWLOC_XMLFILE
    run fake4
    [ "$status" -eq 0 ] || fail "umf-info (numa4_hmat.xml) exits $status"
    has fake4 "0 34359738368 (32.0 GiB) 100000 MiB/s 110 ns"
    has fake4 "1 8589934592 (8.0 GiB) 400000 MiB/s 160 ns"
    has fake4 "2 17179869184 (16.0 GiB) 100000 MiB/s 100 ns"
    has fake4 "5 4294967296 (4.0 GiB) 400000 MiB/s 150 ns"
    has fake4 "host-all 0 1 2 5"
    has fake4 "highest-capacity 0 2 1 5"
    has fake4 "highest-bandwidth 1 5"
    has fake4 "lowest-latency 0 2"
    has fake4 "hwloc built loads hwloc API $(sed -n 's/.*hwloc API \([0-9.]*\).*/\1/p' "$tmp/real" | head -n 1), 4 NUMA nodes"
    run fake4.json --json
    [ "$status" -eq 0 ] || fail "umf-info --json (numa4_hmat.xml) exits $status"
    json_valid fake4.json
    json_has fake4.json '{"id": 0, "type": "numa", "capacity": 34359738368, "bandwidth_mib_s": 100000, "latency_ns": 110}'
    json_has fake4.json '{"id": 5, "type": "numa", "capacity": 4294967296, "bandwidth_mib_s": 400000, "latency_ns": 150}'
    json_has fake4.json '"memory_spaces": {"host_all": [0, 1, 2, 5], "highest_capacity": [0, 2, 1, 5], "highest_bandwidth": [1, 5], "lowest_latency": [0, 2]}'

    # --- fake topology without them ---
    HWLOC_XMLFILE="$data/numa3_nohmat.xml"
    run fake3
    [ "$status" -eq 0 ] || fail "umf-info (numa3_nohmat.xml) exits $status"
    has fake3 "1 8589934592 (8.0 GiB) - -"
    has fake3 "highest-capacity 1 2 0"
    has fake3 "highest-bandwidth unavailable"
    has fake3 "lowest-latency unavailable"
    run fake3.json --json
    json_valid fake3.json
    json_has fake3.json '{"id": 2, "type": "numa", "capacity": 4294967296, "bandwidth_mib_s": null, "latency_ns": null}'
    json_has fake3.json '"highest_bandwidth": null, "lowest_latency": null'
    unset HWLOC_XMLFILE
fi

# --- Level Zero (issue 16): the fake driver's devices, then its init
# failing (UMF_TEST_FAKE_ZE_DRIVER is exported when libumf has Level Zero)
if [ -n "${UMF_TEST_FAKE_ZE_DRIVER:-}" ]; then
    ZE_ENABLE_ALT_DRIVERS=$UMF_TEST_FAKE_ZE_DRIVER
    export ZE_ENABLE_ALT_DRIVERS
    run l0
    [ "$status" -eq 0 ] || fail "umf-info (fake Level Zero driver) exits $status"
    has l0 "Level Zero built loads libze_loader.so.1, 1 driver, 2 devices"
    has l0 "level_zero 0 GPU 8.0 GiB Fake GPU 0"
    has l0 "level_zero 1 GPU 8.0 GiB Fake GPU 1"
    run l0.json --json
    json_valid l0.json
    json_has l0.json '{"name": "level_zero", "built": true, "loads": true'
    json_has l0.json '{"backend": "level_zero", "index": 1, "name": "Fake GPU 1", "type": "GPU", "memory": 8589934592}'
    FAKE_ZE_FAIL_INIT=1
    export FAKE_ZE_FAIL_INIT
    run l0fail
    [ "$status" -eq 0 ] || fail "umf-info (failing Level Zero driver) exits $status"
    has l0fail "Level Zero built fails libze_loader.so.1 loads; zeInit failed (0x78000001): no Level Zero driver"
    has l0fail "none found"
    unset FAKE_ZE_FAIL_INIT ZE_ENABLE_ALT_DRIVERS
fi

# --- the man page ---
if [ -n "${MANDOC:-}" ]; then
    checks=$((checks + 1))
    "$MANDOC" -T lint -W warning "$srcdir/man/man1/umf-info.1" >"$tmp/lint" 2>&1
    if [ -s "$tmp/lint" ]; then
        fail "umf-info.1: mandoc -T lint -W warning reports:"
        sed 's/^/    /' "$tmp/lint"
    fi
fi

if [ "$errors" -eq 0 ]; then
    echo "PASS: umf-info, $checks checks"
    exit 0
fi
echo "FAIL: umf-info, $errors of $checks checks failed"
exit 1
