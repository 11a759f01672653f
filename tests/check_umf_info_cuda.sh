#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_umf_info_cuda.sh -- what tools/umf-info says about CUDA on the fake
# driver (tests/fakes/fake_libcuda.h: two devices, 16 and 8 GiB), with a
# cuInit that fails, and with no driver.
#
# Environment (exported by tests/local.mk): top_builddir. Exit status: 0
# pass, 1 fail, 77 skip (CUDA configured out).
set -u
top_builddir=${top_builddir:-.}
builddir=$(cd "$top_builddir" && pwd) || exit 1
info="$builddir/tools/umf-info"
fake="$builddir/tests/fakes/.libs"
lp="$fake${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
errors=0
checks=0

# has TEXT LINE: a line of TEXT, blanks squeezed, equals LINE
has() {
    checks=$((checks + 1))
    if ! printf '%s\n' "$1" | sed 's/^ *//; s/  */ /g; s/ *$//' |
        grep -Fqx -- "$2"; then
        echo "FAIL: no line '$2' in:"
        printf '%s\n' "$1" | sed 's/^/    /'
        errors=$((errors + 1))
    fi
}

out=$("$info") || { echo "FAIL: umf-info exits $?"; exit 1; }
if printf '%s\n' "$out" | grep -q '^  CUDA  *not built'; then
    echo "SKIP: the CUDA provider is configured out"
    exit 77
fi

out=$(LD_LIBRARY_PATH="$lp" "$info")
has "$out" "CUDA built loads libcuda.so.1, driver 12.4, 2 devices"
has "$out" "cuda 0 GPU 16.0 GiB Fake CUDA GPU 0"
has "$out" "cuda 1 GPU 8.0 GiB Fake CUDA GPU 1"
out=$(LD_LIBRARY_PATH="$lp" "$info" --json | tr -d ' \n')
checks=$((checks + 1))
printf '%s' "$out" | grep -Fq '"name":"cuda","built":true,"loads":true,"detail":"libcuda.so.1,driver12.4,2devices"}' ||
    { echo "FAIL: --json: $out"; errors=$((errors + 1)); }
checks=$((checks + 1))
printf '%s' "$out" | grep -Fq '{"backend":"cuda","index":0,"name":"FakeCUDAGPU0","type":"GPU","memory":17179869184},{"backend":"cuda","index":1,"name":"FakeCUDAGPU1","type":"GPU","memory":8589934592}' ||
    { echo "FAIL: --json: $out"; errors=$((errors + 1)); }
out=$(LD_LIBRARY_PATH="$lp" FAKE_CUDA_DEVICES=0 "$info")
has "$out" "CUDA built fails libcuda.so.1 (driver 12.4) found; cuInit fails: CUDA_ERROR_NO_DEVICE"
if ! { /sbin/ldconfig -p || ldconfig -p; } 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
    out=$(LD_LIBRARY_PATH=/nonexistent "$info")
    checks=$((checks + 1))
    printf '%s\n' "$out" | grep -q '^  CUDA  *built  *fails  *no driver: ' ||
        { echo "FAIL: without a driver: $out"; errors=$((errors + 1)); }
fi
if [ "$errors" -eq 0 ]; then
    echo "PASS: umf-info on CUDA, $checks checks"
    exit 0
fi
echo "FAIL: umf-info on CUDA, $errors of $checks checks failed"
exit 1
