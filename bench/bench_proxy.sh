#!/bin/bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench_proxy.sh -- libumf_proxy against glibc's malloc and Debian's
# jemalloc on real programs and the churn workload, in one run.
#
#   bench/bench_proxy.sh [REPS]      (make bench-proxy; REPS defaults to 3)
#
# Workloads: gcc -O2 compiling a generated 600-function C file, python3
# building, sorting and hashing lists, sort(1) of a 50 MB file, and
# bench/proxy_churn (10,000 live blocks of 8..4096 bytes per thread, 10
# replaced per step) on 1 and 2 threads. Allocators: glibc, LD_PRELOAD of
# libjemalloc.so.2, and LD_PRELOAD of libumf_proxy.so.0 with each pool it
# has. Every run's output must equal glibc's; a run that differs or fails
# is reported and makes the exit status 1. Prints the CPU seconds (user +
# system) of each run, min / median / max of REPS runs, the median against
# glibc's, and the median wall-clock seconds; on a shared machine the CPU
# time is the steadier measure. The runs of one workload go round the
# allocators in turn. Asserts nothing about time.
#
# Environment: top_builddir (default .), the build directory.
set -u

reps=${1:-3}
top_builddir=${top_builddir:-.}
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
proxy=$(abspath "$top_builddir/lib/.libs/libumf_proxy.so.0")
churn=$(abspath "$top_builddir/bench/proxy_churn")
for f in "$proxy" "$churn"; do
    [ -e "$f" ] || { echo "bench_proxy: $f is not built"; exit 1; }
done
jemalloc=
for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 \
    /usr/lib; do
    [ -e "$d/libjemalloc.so.2" ] && { jemalloc=$d/libjemalloc.so.2; break; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_proxy.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# the inputs
awk 'BEGIN { srand(15); for (i = 0; i < 3100000; i++)
    printf "%08d %s\n", int(rand() * 1e8), i }' >"$tmp/big.txt"
awk 'BEGIN {
    print "#include <string.h>"
    for (i = 0; i < 600; i++) {
        printf "struct s%d { int a[%d]; char name[32]; };\n", i, i % 13 + 1
        printf "int f%d(struct s%d *p, int n) {\n", i, i
        printf "    int r = 0;\n    for (int k = 0; k < n; k++) {\n"
        printf "        r += p->a[k %% %d] * %d + (int)strlen(p->name);\n", i % 13 + 1, i
        printf "        if (r > %d) r -= k;\n    }\n    return r;\n}\n", i * 7
    }
}' >"$tmp/big.c"
cat >"$tmp/work.py" <<'PY'
import random
random.seed(7)
xs = [random.random() for _ in range(2000000)]
xs.sort()
d = {i: str(x) for i, x in enumerate(xs[:500000])}
words = sorted(v[2:8] for v in d.values())
print(len(xs), len(d), len(words), words[0] <= words[-1])
PY

# the interpreter itself: a python3 on PATH may be a wrapper script (pyenv's
# shim runs some 40 shell processes first), which would time process
# start-up under each allocator instead of Python
python=$(python3 -c 'import sys; print(sys.executable)') || python=python3

workloads="gcc python3 sort churn1 churn2"
# run_workload NAME: runs it with the environment in the array env
run_workload() {
    case $1 in
    gcc) env "${env[@]}" gcc -O2 -c -o "$tmp/big.o" "$tmp/big.c" &&
        echo compiled ;;
    python3) env "${env[@]}" "$python" "$tmp/work.py" ;;
    sort) env "${env[@]}" sort -S 64M "$tmp/big.txt" | md5sum ;;
    churn1) env "${env[@]}" "$churn" 1 1000000 ;;
    churn2) env "${env[@]}" "$churn" 2 500000 ;;
    esac
}

allocators="glibc"
[ -n "$jemalloc" ] && allocators="$allocators jemalloc"
for pool in jemalloc scalable disjoint; do
    # a pool that is not built makes the proxy say so on stderr
    if UMF_PROXY=pool=$pool LD_PRELOAD="$proxy" true 2>&1 |
        grep -q libumf_proxy; then
        echo "note: the $pool pool is not available; left out"
    else
        allocators="$allocators proxy-$pool"
    fi
done

# run ALLOCATOR WORKLOAD: prints "CPU-SECONDS WALL-SECONDS", or "FAIL"
run() {
    env=()
    case $1 in
    glibc) ;;
    jemalloc) env=(LD_PRELOAD="$jemalloc") ;;
    proxy-*) env=(UMF_PROXY="pool=${1#proxy-}" LD_PRELOAD="$proxy") ;;
    esac
    local TIMEFORMAT='%3U %3S %3R' rc
    { time run_workload "$2" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time"
    rc=$?
    if [ $rc != 0 ] || grep -q libumf_proxy "$tmp/err"; then
        echo "bench_proxy: $2 with $1 failed (exit $rc):" >&2
        head -5 "$tmp/err" >&2
        echo FAIL
        return
    fi
    if [ "$1" = glibc ]; then
        cp "$tmp/out" "$tmp/ref.$2"
    elif ! cmp -s "$tmp/out" "$tmp/ref.$2"; then
        echo "bench_proxy: $2 with $1 printed other output than with glibc" >&2
        echo FAIL
        return
    fi
    awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' "$tmp/time"
}

status=0
printf '%-8s %-16s %8s %8s %8s %9s %9s\n' workload allocator "cpu min" \
    median max "vs glibc" "wall med"
for w in $workloads; do
    # the repetitions go round the allocators in turn, so that a slow spell
    # of a shared machine falls on all of them alike
    declare -A times=() walls=() failed=()
    for ((i = 0; i < reps; i++)); do
        for a in $allocators; do
            [ -n "${failed[$a]:-}" ] && continue
            t=$(run "$a" "$w")
            if [ "$t" = FAIL ]; then
                failed[$a]=yes
                continue
            fi
            times[$a]+="${t% *} "
            walls[$a]+="${t#* } "
        done
    done
    ref_median=
    for a in $allocators; do
        if [ -n "${failed[$a]:-}" ]; then
            printf '%-8s %-16s %s\n' "$w" "$a" "FAILED (exit status or output)"
            status=1
            continue
        fi
        read -r min med max < <(printf '%s\n' ${times[$a]} | sort -g |
            awk '{ v[NR] = $1 } END { print v[1], v[int((NR + 1) / 2)], v[NR] }')
        wall=$(printf '%s\n' ${walls[$a]} | sort -g |
            awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        [ "$a" = glibc ] && ref_median=$med
        ratio=$(awk -v m="$med" -v r="$ref_median" \
            'BEGIN { printf "%.2fx", m / r }')
        printf '%-8s %-16s %8s %8s %8s %9s %9s\n' "$w" "$a" "$min" "$med" \
            "$max" "$ratio" "$wall"
    done
    unset times walls failed
done
exit $status
