#!/bin/bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# cuda-device-check.sh -- the CUDA provider on a real NVIDIA GPU: the
# provider suite, the pool behaviour suite on CUDA memory, the example,
# umf-info and the bench_gpu table, against the machine's own driver
# (libcuda.so.1 from the system; the fake driver of make check is not
# used). It is not part of make check (tests/check_cuda_device_script.sh
# only checks its syntax).
#
# Usage: tests/gpu/cuda-device-check.sh BUILD_DIR LOG_DIR
#   BUILD_DIR  a libumf build tree in which `make check' (or at least
#              `make tests/test_provider_cuda tests/test_provider_cuda_pools
#              examples/cuda_shared_pool') and `make bench/bench_gpu' ran;
#              made on another machine is fine: programs are run from
#              BUILD_DIR/*/.libs with LD_LIBRARY_PATH=BUILD_DIR/lib/.libs.
#              Configure it so that it needs nothing the GPU machine lacks,
#              e.g. --without-hwloc --without-level-zero when those
#              libraries are missing there (missing ones are reported).
#   LOG_DIR    created if needed; gets one log per step and summary.txt.
# Runs in well under 5 minutes (every step has a time limit). Exit status:
# 0 when every step passed, 1 when one failed, 2 for bad arguments.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR LOG_DIR" >&2
    exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || {
    echo "$0: no build directory $1" >&2
    exit 2
}
mkdir -p "$2" || exit 2
logs=$(cd "$2" && pwd) || exit 2
summary="$logs/summary.txt"
: >"$summary"

export UMF_TEST_CUDA_REAL=1
export LD_LIBRARY_PATH="$build/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# the jemalloc pool's library is loaded at start-up by the test programs;
# this lets it load by dlopen too where it is not
export GLIBC_TUNABLES="glibc.rtld.optional_static_tls=4096${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}"
unset UMF_LOG

failed=0
note() { echo "$*" | tee -a "$summary"; }

# The real program of a libtool-built one.
program() {
    local dir name
    dir=$(dirname "$build/$1")
    name=$(basename "$1")
    for p in "$dir/.libs/lt-$name" "$dir/.libs/$name" "$dir/$name"; do
        if [ -x "$p" ] && [ -f "$p" ] && ! head -c 2 "$p" | grep -q '#!'; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# step NAME SECONDS PROGRAM ARGS...: run with a time limit, log to
# LOG_DIR/NAME.log; 77 counts as skipped.
step() {
    local name=$1 limit=$2 prog=$3 exe rc
    shift 3
    if ! exe=$(program "$prog"); then
        note "FAIL $name: $prog is not built in $build"
        failed=1
        return
    fi
    if ldd "$exe" 2>/dev/null | grep -q 'not found'; then
        note "FAIL $name: libraries missing on this machine:"
        ldd "$exe" | grep 'not found' | tee -a "$summary"
        failed=1
        return
    fi
    local start=$SECONDS
    timeout "$limit" "$exe" "$@" >"$logs/$name.log" 2>&1
    rc=$?
    local took=$((SECONDS - start))
    case $rc in
    0) note "PASS $name (${took}s)" ;;
    77) note "SKIP $name: $(tail -n 1 "$logs/$name.log")" ;;
    124) note "FAIL $name: over its ${limit}s limit"; failed=1 ;;
    *) note "FAIL $name: exit status $rc (see $name.log)"; failed=1 ;;
    esac
    grep -E '^[0-9]+%: Checks:' "$logs/$name.log" | sed "s/^/     $name: /" |
        tee -a "$summary"
}

note "libumf CUDA device check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), build $build"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi -L 2>&1 | sed 's/^/  /' | tee -a "$summary"
fi
{ /sbin/ldconfig -p || ldconfig -p; } 2>/dev/null | grep 'libcuda\.so\.1 ' |
    sed 's/^[[:space:]]*/  driver: /' | tee -a "$summary"

step umf-info 20 tools/umf-info
sed -n '/^  CUDA /,/^$/p' "$logs/umf-info.log" 2>/dev/null |
    tee -a "$summary"
step provider 80 tests/test_provider_cuda
step pools 100 tests/test_provider_cuda_pools
step example 20 examples/cuda_shared_pool
export UMF_BENCH_REPS=${UMF_BENCH_REPS:-5} UMF_BENCH_MS=${UMF_BENCH_MS:-20}
step bench 60 bench/bench_gpu CUDA
sed -n '/^benchmark /,$p' "$logs/bench.log" 2>/dev/null |
    tee -a "$summary"

if [ "$failed" -eq 0 ]; then
    note "ALL PASSED"
else
    note "SOME STEPS FAILED"
fi
exit "$failed"
