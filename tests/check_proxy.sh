#!/bin/bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_proxy.sh -- libumf_proxy.so.0 (umf_proxy(7)) under LD_PRELOAD: each
# program runs without and with the proxy, and the two runs must give the
# same output and exit status, with nothing from the proxy on stderr.
#
#  - with every pool built (jemalloc, scalable, disjoint): tests/proxy_prog
#    (the malloc family's contract, blocks in the pool, two threads freeing
#    each other's blocks, fork), the C++ program of
#    umf/proxy_lib_new_delete.h, gcc compiling a C file, ls -R /usr, the
#    size threshold;
#  - with one pool each, in turn (they take seconds): python3 building and
#    sorting a large list, sort(1) on a 50 MB file;
#  - both page dispositions: the contract, and a producer under the proxy
#    that passes the IPC handle of a malloc'ed block to a consumer process,
#    which reads the producer's data; shared-shm's object is named
#    umf_proxy_lib_shm_pid_<pid> and is gone after exit;
#  - a bad UMF_PROXY option is reported and ignored.
#
# A sanitized build cannot preload the proxy (the sanitizer's runtime must
# come first and itself replaces malloc): the contract runs without it and
# the test then exits 77.
#
# Environment (exported by tests/local.mk): top_srcdir, top_builddir,
# UMF_HAVE_JEMALLOC, UMF_HAVE_TBB, UMF_SANITIZER_FLAGS.
set -u

top_builddir=${top_builddir:-.}
proxy="$top_builddir/lib/.libs/libumf_proxy.so.0"
prog="$top_builddir/tests/proxy_prog"
newdel="$top_builddir/tests/proxy_newdelete"

# a staged install (tests/staged_install.sh) relinks the proxy in place:
# wait for any to end, and keep them out while the built one runs
exec 9>"$top_builddir/tests/install.lock"
flock -s 9

for f in "$proxy" "$prog" "$newdel"; do
    if [ ! -e "$f" ]; then
        echo "FAIL: $f does not exist (is everything built?)"
        exit 1
    fi
done
# absolute: the runs happen in directories of their own
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
proxy=$(abspath "$proxy")
prog=$(abspath "$prog")
newdel=$(abspath "$newdel")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/umf_proxy.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
rc=0
fail() {
    echo "FAIL: $*"
    rc=1
}

if [ -n "${UMF_SANITIZER_FLAGS-}" ]; then
    # the contract's failing requests must fail, not abort the program
    export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export TSAN_OPTIONS="allocator_may_return_null=1 ${TSAN_OPTIONS-}"
    if ! "$prog" contract; then
        fail "the contract without the proxy"
        exit 1
    fi
    echo "SKIP: a sanitized build cannot run programs with LD_PRELOAD of" \
        "libumf_proxy (the sanitizer runtime must be loaded first and" \
        "replaces malloc itself); the contract passed without the proxy"
    exit 77
fi

pools="disjoint"
[ "${UMF_HAVE_TBB-}" = yes ] && pools="scalable $pools"
[ "${UMF_HAVE_JEMALLOC-}" = yes ] && pools="jemalloc $pools"
echo "pools: $pools"

# The proxy depends on the jemalloc companion (so the jemalloc pool works
# when preloaded), after libumf and before nothing that defines malloc.
if [ "${UMF_HAVE_JEMALLOC-}" = yes ]; then
    needed=$(readelf -d "$proxy" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' |
        tr '\n' ' ')
    case "$needed" in
    "libumf.so.0 libumf_jemalloc.so.0 libc.so.6 ") ;;
    *) fail "DT_NEEDED of libumf_proxy is \"$needed\"" ;;
    esac
fi

# It exports the malloc family of lib/proxy/proxy.map, unversioned, and
# nothing else.
want=$(sed -n 's/^ *\([a-z_]*\);$/\1/p' "${top_srcdir:-.}/lib/proxy/proxy.map" |
    sort | tr '\n' ' ')
have=$(nm -D --defined-only "$proxy" | awk '$2 != "A" { print $3 }' | sort |
    tr '\n' ' ')
if [ -z "$want" ] || [ "$want" != "$have" ]; then
    fail "exported symbols: \"$have\", lib/proxy/proxy.map: \"$want\""
fi

n=0
# compare NAME UMF_PROXY-value EXTRA-ENV CMD...: run CMD without the proxy
# and with it (EXTRA-ENV, "VAR=value ..." or "-", only in the proxied run).
compare() {
    local name=$1 opts=$2 extra=$3
    shift 3
    n=$((n + 1))
    local d="$tmp/$n"
    mkdir -p "$d"
    (cd "$d" && "$@" >"$d/ref.out" 2>"$d/ref.err")
    local ref_rc=$?
    if [ $ref_rc != 0 ]; then
        fail "$name: exit status $ref_rc even without the proxy"
        sed 's/^/    /' "$d/ref.err" | head -20
        return
    fi
    local envs=()
    [ "$extra" != - ] && read -r -a envs <<<"$extra"
    (cd "$d" && env "${envs[@]}" UMF_PROXY="$opts" LD_PRELOAD="$proxy" \
        "$@" >"$d/px.out" 2>"$d/px.err")
    local px_rc=$?
    if [ $ref_rc != $px_rc ]; then
        fail "$name [$opts]: exit status $px_rc under the proxy, $ref_rc without"
        sed 's/^/    /' "$d/px.err" | head -20
        return
    fi
    if ! cmp -s "$d/ref.out" "$d/px.out"; then
        fail "$name [$opts]: output differs under the proxy"
        diff "$d/ref.out" "$d/px.out" | head -10 | sed 's/^/    /'
        return
    fi
    if grep -q 'libumf_proxy:' "$d/px.err"; then
        fail "$name [$opts]: the proxy reported:"
        sed 's/^/    /' "$d/px.err" | head -5
        return
    fi
    echo "ok: $name [$opts] (exit $px_rc, $(wc -c <"$d/px.out") bytes of output)"
}

# contract mode checks pool ownership only in the proxied run
contract() {
    local opts=$1 threshold=${2:-0}
    compare "contract" "$opts" \
        "PROXY_EXPECT_POOL=1 PROXY_EXPECT_THRESHOLD=$threshold" \
        "$prog" contract
}

cat >"$tmp/hello.c" <<'SRC'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; char name[32]; };
int main(int argc, char **argv) {
    struct node *head = NULL;
    for (int i = 0; i < argc * 100; i++) {
        struct node *n = calloc(1, sizeof(*n));
        snprintf(n->name, sizeof(n->name), "node %d", i);
        n->next = head;
        head = n;
    }
    printf("%s\n", head ? head->name : "none");
    return 0;
}
SRC
have_gcc=no
command -v gcc >/dev/null 2>&1 && have_gcc=yes

for pool in $pools; do
    contract "pool=$pool"
    contract "pool=$pool;size.threshold=1024" 1024
    compare "threads" "pool=$pool" - "$prog" threads
    compare "fork" "pool=$pool" - "$prog" fork
    compare "new/delete" "pool=$pool" PROXY_EXPECT_POOL=1 "$newdel"
    compare "ls -R /usr" "pool=$pool" - ls -R /usr
    if [ $have_gcc = yes ]; then
        compare "gcc" "pool=$pool" - sh -c \
            "gcc -O2 -o hello '$tmp/hello.c' && ./hello"
    fi
done
[ $have_gcc = yes ] || echo "note: gcc not found; its runs are left out"

# The long ones: each with one pool, in turn.
set -- $pools
if command -v python3 >/dev/null 2>&1; then
    compare "python3" "pool=$1" - python3 -c '
import random
random.seed(7)
xs = [random.random() for _ in range(1000000)]
d = {i: str(x) for i, x in enumerate(xs[:200000])}
xs.sort()
print(len(xs), xs[0] < xs[-1], len(d), sum(len(v) for v in d.values()) > 0)'
else
    echo "note: python3 not found; its run is left out"
fi
# threads, subprocesses (fork and exec from a threaded process), C modules
if command -v python3 >/dev/null 2>&1; then
    compare "python3 threads and subprocesses" "page.disposition=shared-fd" - \
        python3 -c '
import json, sqlite3, hashlib, subprocess
from concurrent.futures import ThreadPoolExecutor
def work(i):
    s = sum(len(str(x)) for x in range(5000 + i))
    return s + len(subprocess.run(["echo", str(i)], capture_output=True).stdout)
with ThreadPoolExecutor(4) as ex:
    r = list(ex.map(work, range(12)))
c = sqlite3.connect(":memory:")
c.execute("create table t(x)")
c.executemany("insert into t values (?)", [(i,) for i in range(5000)])
print(sum(r), c.execute("select count(*) from t").fetchone()[0],
      hashlib.sha256(b"x" * 100000).hexdigest()[:8], json.dumps([1, 2]))'
fi
[ $# -gt 1 ] && shift
# a 50 MB file of pseudo-random lines (awk's generator is seeded: the same
# file every time)
awk 'BEGIN { srand(15); for (i = 0; i < 3100000; i++)
    printf "%08d %s\n", int(rand() * 1e8), i }' >"$tmp/big.txt"
compare "sort 50 MB" "pool=$1" - sort -S 64M "$tmp/big.txt"

# Both page dispositions: the contract, and IPC of a malloc'ed block.
for disp in shared-fd shared-shm; do
    contract "page.disposition=$disp"
    compare "fork" "page.disposition=$disp" - "$prog" fork
    # a shell's children go on running on their copy of the heap
    compare "bash command substitution" "page.disposition=$disp" - bash -c '
        up() { local x; x=$(echo "$1" | tr a-z A-Z); echo "$x"; }
        for i in $(seq 1 40); do up "line $i"; done | sort | md5sum'
    n=$((n + 1))
    d="$tmp/$n"
    mkdir -p "$d"
    env UMF_PROXY="page.disposition=$disp" LD_PRELOAD="$proxy" \
        PROXY_EXPECT_SHM=$([ $disp = shared-shm ] && echo 1 || echo 0) \
        "$prog" ipc-producer "$d/handle" >"$d/out" 2>"$d/err" &
    pid=$!
    wait $pid
    prc=$?
    if [ $prc != 0 ] || ! grep -q "read the producer's data" "$d/out"; then
        fail "IPC of a malloc'ed block [page.disposition=$disp] (exit $prc)"
        sed 's/^/    /' "$d/err" | head -10
    else
        echo "ok: IPC of a malloc'ed block [page.disposition=$disp]"
    fi
    if [ -e "/dev/shm/umf_proxy_lib_shm_pid_$pid" ]; then
        fail "/dev/shm/umf_proxy_lib_shm_pid_$pid is left after exit"
        rm -f "/dev/shm/umf_proxy_lib_shm_pid_$pid"
    fi
done

# A bad option is reported once each and ignored.
UMF_PROXY="bogus=1;size.threshold=12x;;pool=disjoint" LD_PRELOAD="$proxy" \
    "$prog" threads >"$tmp/bad.out" 2>"$tmp/bad.err"
brc=$?
nbad=$(grep -c 'libumf_proxy: UMF_PROXY: ignoring the option' "$tmp/bad.err")
if [ $brc != 0 ] || [ "$nbad" != 2 ] ||
    ! grep -q 'checksum' "$tmp/bad.out"; then
    fail "bad UMF_PROXY options (exit $brc, $nbad reports)"
    sed 's/^/    /' "$tmp/bad.err" | head -5
else
    echo "ok: bad UMF_PROXY options reported and ignored"
fi

exit $rc
