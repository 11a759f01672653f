#!/bin/bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_symbols.sh -- the exported symbol set of libumf.so.0 is exactly the
# functions of lib/libumf.map, each under its version node, and equals the
# list in shared/spec/api-functions.txt when that file exists.
#
# Environment (exported by tests/local.mk): top_srcdir, top_builddir.
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
lib="$top_builddir/lib/.libs/libumf.so.0"
map="$top_srcdir/lib/libumf.map"
spec="$top_srcdir/../shared/spec/api-functions.txt"
NM=${NM:-nm}

if ! command -v "$NM" >/dev/null 2>&1; then
    echo "SKIP: $NM not found"
    exit 77
fi
if [ ! -e "$lib" ]; then
    echo "FAIL: $lib does not exist (is the library built?)"
    exit 1
fi
if [ ! -r "$map" ]; then
    echo "FAIL: $map not readable"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/umf_symbols.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# name@@NODE for every defined dynamic symbol except the version nodes
# themselves (type A); anything else defined there counts as exported.
"$NM" -D --defined-only "$lib" |
    awk 'NF >= 3 && $2 != "A" { print $3 }' | sort -u >"$tmp/nm" || exit 1

# name@@NODE from the version script: each "NODE {" block's global: list.
awk '
    /^[ \t]*#/ { next }
    {
        sub(/#.*/, "")
    }
    match($0, /^[ \t]*([A-Za-z0-9_.]+)[ \t]*\{/) {
        node = $0
        sub(/^[ \t]*/, "", node)
        sub(/[ \t]*\{.*/, "", node)
        scope = ""
        next
    }
    /^[ \t]*\}/ { node = ""; next }
    /global:/ { scope = "global"; sub(/.*global:/, "") }
    /local:/ { scope = "local"; next }
    node != "" && scope == "global" {
        n = split($0, parts, /[; \t]+/)
        for (i = 1; i <= n; i++) {
            if (parts[i] != "") {
                print parts[i] "@@" node
            }
        }
    }
' "$map" | sort -u >"$tmp/map" || exit 1

rc=0
if [ ! -s "$tmp/map" ]; then
    echo "FAIL: no exported functions found in $map"
    rc=1
fi

if ! cmp -s "$tmp/nm" "$tmp/map"; then
    echo "FAIL: exported symbols of $lib differ from $map"
    comm -23 "$tmp/nm" "$tmp/map" | sed 's/^/  exported, not in map: /'
    comm -13 "$tmp/nm" "$tmp/map" | sed 's/^/  in map, not exported: /'
    rc=1
else
    echo "ok: $(wc -l <"$tmp/nm") symbols of $lib match $map"
fi

# Every function must be exported once: the same name under two nodes
# (name@NODE plus name@@NODE) is not what the map asks for.
dups=$(sed 's/@.*//' "$tmp/nm" | sort | uniq -d)
if [ -n "$dups" ]; then
    echo "FAIL: exported under more than one version: $dups"
    rc=1
fi

if [ -r "$spec" ]; then
    # columns: function origin node header; '#' starts a comment
    awk '!/^[ \t]*#/ && NF >= 3 { print $1 "@@" $3 }' "$spec" |
        sort -u >"$tmp/spec"
    if ! cmp -s "$tmp/map" "$tmp/spec"; then
        echo "FAIL: $map differs from $spec"
        comm -23 "$tmp/map" "$tmp/spec" | sed 's/^/  in map, not in spec: /'
        comm -13 "$tmp/map" "$tmp/spec" | sed 's/^/  in spec, not in map: /'
        rc=1
    else
        echo "ok: $map matches $spec"
    fi
else
    echo "note: $spec does not exist; compared with $map only"
fi

exit $rc
