#!/bin/bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_headers.sh -- every public header compiles on its own (and twice in
# a row), as C99 and as C++, with -Wall -Wextra -Werror; with GCC, calls to
# the allocation entry points skip the PLT unless UMF_DISABLE_NOPLT.
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

# With GCC, position-independent callers reach the allocation entry points
# through the GOT (noplt); UMF_DISABLE_NOPLT brings the PLT stubs back.
if $CC -dM -E -x c /dev/null 2>/dev/null | grep -q '__GNUC__' &&
    ! $CC -dM -E -x c /dev/null 2>/dev/null | grep -q '__clang__'; then
    cat >"$tmp/calls.c" <<'EOF'
#include <umf/memory_pool.h>
void *calls(umf_memory_pool_handle_t pool, void *p) {
    umfPoolFree(pool, p);
    umfFree(p);
    return umfPoolMalloc(pool, 64);
}
EOF
    for mode in noplt plt; do
        def=
        [ $mode = plt ] && def=-DUMF_DISABLE_NOPLT
        if ! $CC -O2 -fPIC $def -S -o "$tmp/calls.s" -I"$inc" \
            "$tmp/calls.c" >"$tmp/out" 2>&1; then
            echo "FAIL: calls.c ($mode) does not compile:"
            sed 's/^/    /' "$tmp/out"
            rc=1
            continue
        fi
        plt=$(grep -c '@PLT' "$tmp/calls.s")
        if [ $mode = noplt ] && [ "$plt" -ne 0 ]; then
            echo "FAIL: $plt PLT calls to the allocation entry points:"
            grep '@PLT' "$tmp/calls.s" | sed 's/^/    /'
            rc=1
        elif [ $mode = plt ] && [ "$plt" -ne 3 ]; then
            echo "FAIL: UMF_DISABLE_NOPLT: $plt PLT calls, not 3"
            rc=1
        fi
    done
fi

if [ $rc -ne 0 ]; then
    exit 1
fi
if [ "$have_cxx" = no ]; then
    echo "SKIP: $n headers compile as C; no working C++ compiler ($CXX)"
    exit 77
fi
echo "ok: $n headers compile on their own as C and C++"
exit 0
