#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_cuda_example.sh -- examples/cuda_shared_pool on the fake CUDA driver
# (tests/fakes/fake_libcuda.h), put first on LD_LIBRARY_PATH as a real
# libcuda.so.1 would be found; and without any driver, where it must say so
# and still exit 0.
#
# Environment (exported by tests/local.mk): top_builddir. Exit status: 0
# pass, 1 fail, 77 skip (the CUDA provider is configured out).
set -u

top_builddir=${top_builddir:-.}
builddir=$(cd "$top_builddir" && pwd) || exit 1
example="$builddir/examples/cuda_shared_pool"
fake="$builddir/tests/fakes/.libs"

if [ ! -x "$example" ]; then
    echo "FAIL: $example is not built"
    exit 1
fi
out=$(LD_LIBRARY_PATH="$fake${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$example" 2>&1)
status=$?
echo "$out" | sed 's/^/  | /'
if echo "$out" | grep -q "built without the CUDA provider"; then
    echo "SKIP: the CUDA provider is configured out"
    exit 77
fi
errors=0
[ "$status" -eq 0 ] || { echo "FAIL: the example exits $status"; errors=1; }
for line in "disjoint pool on CUDA shared memory created" \
    "16 blocks of 4000 bytes written and read back, sum 127992000"; do
    echo "$out" | grep -Fqx "$line" || { echo "FAIL: no line '$line'"; errors=1; }
done

# No driver at all (where the machine has none): a message, status 0.
if ! { /sbin/ldconfig -p || ldconfig -p; } 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
    out=$("$example" 2>&1)
    status=$?
    [ "$status" -eq 0 ] || { echo "FAIL: without a driver it exits $status"; errors=1; }
    echo "$out" | grep -Fqx "no CUDA driver or GPU here: nothing to show" ||
        { echo "FAIL: without a driver it says:"; echo "$out"; errors=1; }
fi
[ "$errors" -eq 0 ] && echo "PASS: the CUDA example on the fake driver"
exit "$errors"
