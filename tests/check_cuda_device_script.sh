#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_cuda_device_script.sh -- tests/gpu/cuda-device-check.sh runs only
# on a machine with an NVIDIA GPU, so make check checks what it can here:
# its syntax (bash -n), that it refuses bad arguments, and that it is
# executable.
#
# Environment (exported by tests/local.mk): top_srcdir. Exit status: 0 pass,
# 1 fail, 77 skip (no bash).
set -u
top_srcdir=${top_srcdir:-.}
script="$top_srcdir/tests/gpu/cuda-device-check.sh"
command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
errors=0
bash -n "$script" || { echo "FAIL: bash -n $script"; errors=1; }
bash "$script" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: no arguments is not exit status 2"; errors=1; }
bash "$script" /nonexistent/build /tmp >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a missing build dir is not exit status 2"; errors=1; }
[ "$errors" -eq 0 ] && echo "PASS: $script (syntax and arguments)"
exit "$errors"
