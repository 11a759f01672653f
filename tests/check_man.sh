#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_man.sh -- man pages: mandoc lint of every real page, .so targets,
# a page for every exported function, every page listed in man/local.mk.
#
# Run by `make check` with top_srcdir and MANDOC exported; by hand:
#   top_srcdir=. MANDOC=/usr/bin/mandoc sh tests/check_man.sh
# Exit status: 0 pass, 1 fail, 77 skip (no mandoc).

if [ -z "${MANDOC:-}" ]; then
    echo "SKIP: mandoc not installed"
    exit 77
fi

srcdir=${top_srcdir:-$(dirname "$0")/..}
mandir=$srcdir/man
map=$srcdir/lib/libumf.map
localmk=$mandir/local.mk

tmp=${TMPDIR:-/tmp}/check_man.$$
mkdir "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

errors=0
fail() {
    echo "FAIL: $*"
    errors=$((errors + 1))
}

real=0
links=0
for page in "$mandir"/man1/*.1 "$mandir"/man3/*.3 "$mandir"/man7/*.7; do
    [ -f "$page" ] || continue
    name=${page#"$mandir"/}
    if grep -q '^\.so[[:space:]]' "$page"; then
        # (3) a .so page: its target must exist and be a real page
        links=$((links + 1))
        target=$(sed -n 's/^\.so[[:space:]][[:space:]]*//p' "$page" | head -n 1)
        if [ -z "$target" ] || [ ! -f "$mandir/$target" ]; then
            fail "$name: .so target '$target' does not exist"
        elif grep -q '^\.so[[:space:]]' "$mandir/$target"; then
            fail "$name: .so target $target is itself a .so page"
        fi
    else
        # (2) a real page: lint must print nothing
        real=$((real + 1))
        if ! "$MANDOC" -T lint -W warning "$page" >"$tmp/lint" 2>&1 ||
            [ -s "$tmp/lint" ]; then
            fail "$name: mandoc -T lint -W warning reports:"
            sed 's/^/    /' "$tmp/lint"
        fi
    fi
done
if [ "$real" -eq 0 ]; then
    fail "no man pages found under $mandir"
fi

# (4) every function exported by the version script has a page
if [ -f "$map" ]; then
    sed -n 's/^[[:space:]]*\(umf[A-Za-z0-9_]*\)[[:space:]]*;.*/\1/p' "$map" \
        >"$tmp/exported"
    [ -s "$tmp/exported" ] || fail "no functions found in $map"
    while read -r fn; do
        [ -f "$mandir/man3/$fn.3" ] || fail "$fn: no page man/man3/$fn.3"
    done <"$tmp/exported"
else
    fail "$map not found"
fi

# (5) every page is listed in man/local.mk, and every listed page exists
if [ -f "$localmk" ]; then
    grep -o 'man/man[0-9]/[A-Za-z0-9_.-]*' "$localmk" | sort >"$tmp/listed"
    for page in "$mandir"/man1/*.1 "$mandir"/man3/*.3 "$mandir"/man7/*.7; do
        [ -f "$page" ] || continue
        rel=man/${page#"$mandir"/}
        grep -qx "$rel" "$tmp/listed" || fail "$rel: not listed in man/local.mk"
    done
    while read -r rel; do
        [ -f "$srcdir/$rel" ] || fail "$rel: listed in man/local.mk but missing"
    done <"$tmp/listed"
else
    fail "$localmk not found"
fi

if [ "$errors" -eq 0 ]; then
    echo "PASS: $real man pages lint-clean, $links .so pages resolve, every exported function has a page"
    exit 0
fi
echo "FAIL: $errors man page problem(s) ($real real pages, $links .so pages)"
exit 1
