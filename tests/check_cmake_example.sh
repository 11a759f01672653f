#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_cmake_example.sh -- examples/cmake builds with find_package(umf)
# and umf::umf against `make install` output (issue 14 item 2), links what
# -lumf links, and runs. The version file takes 0.11 and refuses 0.10 and 1.
#
# Environment (exported by tests/local.mk): top_srcdir, top_builddir, CC,
# umf_prefix, umf_libdir, umf_includedir, UMF_HAVE_JEMALLOC,
# UMF_SANITIZER_FLAGS (a sanitized libumf needs its runtime in the program).
# Exit status: 0 pass, 1 fail, 77 when cmake is not installed.
set -u

if ! command -v cmake >/dev/null 2>&1; then
    echo "SKIP: cmake is not installed (apt-get install cmake)"
    exit 77
fi
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/staged_install.sh"

stage_begin umf_cmake
# CMake looks under <prefix>/lib64 only where the platform uses lib64 paths
# (not on Debian) and a language is enabled (not in the LANGUAGES NONE
# projects below), so a build with --libdir=/usr/lib64 (rpmbuild's
# %configure) names its libdir's cmake directory too.
search="$stage_prefix;$stage_libdir/cmake"

# the example project as a user copies it (the installed copy of its sources)
example=$stage_prefix/share/doc/libumf/examples/cmake
[ -f "$example/CMakeLists.txt" ] || example=$top_srcdir/examples/cmake
if ! CC=$CC cmake -S "$example" -B "$tmp/build" \
    -DCMAKE_PREFIX_PATH="$search" \
    -DCMAKE_C_FLAGS="${UMF_SANITIZER_FLAGS:-}" >"$tmp/configure.log" 2>&1; then
    fail "cmake configure failed:"
    cat "$tmp/configure.log"
elif ! cmake --build "$tmp/build" >"$tmp/build.log" 2>&1; then
    fail "cmake --build failed:"
    cat "$tmp/build.log"
else
    prog=$tmp/build/umf_cmake_example
    needed=$(needed "$prog")
    echo "umf_cmake_example needs: $needed"
    pool=disjoint
    if [ "$UMF_HAVE_JEMALLOC" = yes ]; then
        pool=jemalloc
        case " $needed" in
        *" libumf_jemalloc.so.0 "*) ;;
        *) fail "umf::umf did not link libumf_jemalloc.so.0" ;;
        esac
    fi
    if ! LD_LIBRARY_PATH=$stage_libdir "$prog" >"$tmp/run.out" 2>&1; then
        fail "umf_cmake_example failed:"
        cat "$tmp/run.out"
    elif ! grep -q "^$pool pool: 64 blocks" "$tmp/run.out"; then
        fail "umf_cmake_example did not use the $pool pool:"
        cat "$tmp/run.out"
    fi
fi

# find_package(umf VERSION): the version file's answers
version=$(cat "$top_srcdir/VERSION")
mkdir -p "$tmp/ver"
for request in "0.11:yes" "0.11.0:yes" "$version:yes" "0.11.99:no" \
    "0.10:no" "0:no" "1:no" "0.9...0.12:yes" "0.12...1.0:no"; do
    want=${request##*:} ver=${request%:*}
    cat >"$tmp/ver/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.19)
project(v LANGUAGES NONE)
find_package(umf $ver QUIET)
message(STATUS "umf_FOUND=\${umf_FOUND}")
CMAKE
    rm -rf "$tmp/ver/b"
    out=$(cmake -S "$tmp/ver" -B "$tmp/ver/b" \
        -DCMAKE_PREFIX_PATH="$search" 2>&1)
    case "$out" in
    *"umf_FOUND=1"*) got=yes ;;
    *) got=no ;;
    esac
    [ "$got" = "$want" ] ||
        fail "find_package(umf $ver): found=$got, expected $want"
done

[ "$errors" -eq 0 ] || exit 1
echo "PASS: check_cmake_example.sh"
