#!/bin/bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_headers.sh -- every public header compiles on its own (and twice in
# a row), as C99 and as C++, with -Wall -Wextra -Werror.
#
# provider_level_zero.h repeats the ze_*_handle_t typedefs of ze_api.h on
# purpose (matching UMF v0.11); a repeated typedef needs C11, so that header
# is compiled as C11.
#
# Environment (exported by tests/local.mk): top_srcdir, CC, CXX.
# Exit 0, 1 on a failure, 77 when there is no working C++ compiler (after
# the C checks passed).
set -u

top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
inc="$top_srcdir/include"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/umf_headers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

headers=$(cd "$inc" && find . -name '*.h' | sed 's|^\./||' | sort)
if [ -z "$headers" ]; then
    echo "FAIL: no headers under $inc"
    exit 1
fi

have_cxx=yes
echo 'int main(void) { return 0; }' >"$tmp/probe.cc"
if ! $CXX -fsyntax-only -x c++ "$tmp/probe.cc" >/dev/null 2>&1; then
    have_cxx=no
fi

rc=0
n=0
for h in $headers; do
    n=$((n + 1))
    std=c99
    case "$h" in
    */provider_level_zero.h) std=c11 ;;
    esac
    # once, and twice (include guards / #pragma once)
    printf '#include <%s>\n' "$h" >"$tmp/once.c"
    printf '#include <%s>\n#include <%s>\n' "$h" "$h" >"$tmp/twice.c"
    for tu in once twice; do
        if ! $CC -std=$std -Wall -Wextra -Werror -pedantic -fsyntax-only \
            -I"$inc" "$tmp/$tu.c" >"$tmp/out" 2>&1; then
            echo "FAIL: $h ($tu) as C ($std):"
            sed 's/^/    /' "$tmp/out"
            rc=1
        fi
        if [ "$have_cxx" = yes ]; then
            cp "$tmp/$tu.c" "$tmp/$tu.cc"
            if ! $CXX -Wall -Wextra -Werror -fsyntax-only -x c++ \
                -I"$inc" "$tmp/$tu.cc" >"$tmp/out" 2>&1; then
                echo "FAIL: $h ($tu) as C++:"
                sed 's/^/    /' "$tmp/out"
                rc=1
            fi
        fi
    done
done

if [ $rc -ne 0 ]; then
    exit 1
fi
if [ "$have_cxx" = no ]; then
    echo "SKIP: $n headers compile as C; no working C++ compiler ($CXX)"
    exit 77
fi
echo "ok: $n headers compile on their own as C and C++"
exit 0
