#!/bin/sh
# shellcheck disable=SC2086 # $CC and the flag variables are lists of words
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check_link.sh -- a program linked against an installed libumf the ways
# users of the reference UMF 0.11 link it (issue 14 item 1): `cc prog.c
# -lumf`, the same through libtool (with and without libumf.la installed),
# `pkg-config --libs umf`, and libumf.so.0 alone (a program built against the
# reference's library). The program is tests/umf_dlopen_helper.c built with
# -DUMF_HELPER_LINKED: every pool works, the jemalloc pool too when the
# link went through -lumf, and malloc stays glibc's. Linked with
# libumf.so.0 alone, the jemalloc pool says DEPENDENCY_UNAVAILABLE with a
# line on stderr that says what to do, and everything else works.
#
# Environment (exported by tests/local.mk): top_srcdir, top_builddir, CC,
# LIBTOOL, umf_prefix, umf_libdir, umf_includedir, UMF_HAVE_JEMALLOC,
# UMF_HAVE_TBB, UMF_SANITIZER_FLAGS (a sanitized libumf needs its runtime in
# the program). Exit status: 0 pass, 1 fail.
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/staged_install.sh"

stage_begin umf_link

if [ "$UMF_HAVE_JEMALLOC" = yes ]; then je=ok je_alone=unavailable; else je=none je_alone=none; fi
if [ "$UMF_HAVE_TBB" = yes ]; then tbb=ok; else tbb=none; fi
src=$top_srcdir/tests/umf_dlopen_helper.c
san=${UMF_SANITIZER_FLAGS:-}
cflags="$san -DUMF_HELPER_LINKED -I$stage_includedir"

# run_prog NAME JEMALLOC: the program against the staged library, with
# what the jemalloc pool must give; its stderr must be empty unless the
# pool is unavailable, when it must say why and how to enable it.
run_prog() {
    name=$1 expect=$2
    LD_LIBRARY_PATH=$stage_libdir "$tmp/$name" - "$expect" "$tbb" \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: exit status $rc"
        cat "$tmp/$name.out" "$tmp/$name.err"
        return
    fi
    if [ "$expect" = unavailable ]; then
        if ! grep -q 'the jemalloc pool is unavailable.*relink the program with -lumf' \
            "$tmp/$name.err"; then
            fail "$name: no line on stderr saying why the jemalloc pool is unavailable:"
            cat "$tmp/$name.err"
        fi
    elif [ -s "$tmp/$name.err" ]; then
        fail "$name: unexpected stderr:"
        cat "$tmp/$name.err"
    fi
    echo "PASS: $name (needs: $(needed "$tmp/$name"))"
}

# expect_companion NAME: -lumf links the jemalloc pool's companion (and
# never jemalloc itself: it must come after libc in lookup order)
expect_companion() {
    n=$(needed "$tmp/$1")
    case " $n" in *" libjemalloc"*) fail "$1 needs jemalloc directly: $n" ;; esac
    case " $n" in *" libumf.so.0 "*) ;; *) fail "$1 does not need libumf.so.0: $n" ;; esac
    if [ "$je" = ok ]; then
        case " $n" in
        *" libumf_jemalloc.so.0 "*) ;;
        *) fail "$1 does not need libumf_jemalloc.so.0: $n" ;;
        esac
    fi
}

# 1. cc prog.c -lumf (gcc here links with --as-needed by default; both ways)
$CC $cflags "$src" -L"$stage_libdir" -lumf -o "$tmp/cc_lumf" ||
    fail "cc -lumf does not link"
expect_companion cc_lumf && run_prog cc_lumf "$je"
$CC $cflags "$src" -L"$stage_libdir" -Wl,--no-as-needed -lumf \
    -o "$tmp/cc_lumf_no_as_needed" || fail "cc --no-as-needed -lumf does not link"
expect_companion cc_lumf_no_as_needed && run_prog cc_lumf_no_as_needed "$je"

# 2. libtool: with libumf.la installed, libtool links the library by path
$CC $cflags -c "$src" -o "$tmp/prog.o" || fail "cc -c does not compile"
$LIBTOOL --quiet --mode=link $CC $san -o "$tmp/libtool_la" "$tmp/prog.o" \
    -L"$stage_libdir" -lumf 2>"$tmp/libtool.err" ||
    { fail "libtool -lumf does not link:"; cat "$tmp/libtool.err"; }
# libtool leaves a wrapper script when the program needs an rpath; run the
# real program in .libs when there is one
if [ -x "$tmp/.libs/libtool_la" ]; then cp "$tmp/.libs/libtool_la" "$tmp/libtool_la"; fi
expect_companion libtool_la && run_prog libtool_la "$je"
rm -f "$stage_libdir"/*.la # as Debian ships it
$LIBTOOL --quiet --mode=link $CC $san -o "$tmp/libtool_nola" "$tmp/prog.o" \
    -L"$stage_libdir" -lumf 2>"$tmp/libtool.err" ||
    { fail "libtool -lumf without libumf.la does not link:"; cat "$tmp/libtool.err"; }
if [ -x "$tmp/.libs/libtool_nola" ]; then cp "$tmp/.libs/libtool_nola" "$tmp/libtool_nola"; fi
expect_companion libtool_nola && run_prog libtool_nola "$je"

# 3. pkg-config --cflags --libs umf, from the staged umf.pc
pc_flags=$(PKG_CONFIG_PATH="$stage_libdir/pkgconfig" \
    PKG_CONFIG_SYSROOT_DIR="$tmp/stage" pkg-config --cflags --libs umf) ||
    fail "pkg-config --cflags --libs umf failed"
$CC $san -DUMF_HELPER_LINKED "$src" $pc_flags -o "$tmp/pkg_config" ||
    fail "cc with pkg-config flags ($pc_flags) does not link"
expect_companion pkg_config && run_prog pkg_config "$je"

# 4. libumf.so.0 alone, as a program built against the reference's library
$CC $cflags "$src" "$stage_libdir/libumf.so.0" -o "$tmp/soname_only" ||
    fail "cc libumf.so.0 does not link"
case " $(needed "$tmp/soname_only")" in
*jemalloc*) fail "soname_only needs jemalloc: $(needed "$tmp/soname_only")" ;;
esac
run_prog soname_only "$je_alone"

# 5. the development name is the linker script, the library file is named
# from VERSION with SONAME libumf.so.0
version=$(cat "$top_srcdir/VERSION")
if [ ! -f "$stage_libdir/libumf.so.$version" ]; then
    fail "no libumf.so.$version installed: $(ls "$stage_libdir")"
fi
soname=$(readelf -d "$stage_libdir/libumf.so.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libumf.so.0 ] || fail "SONAME is '$soname', not libumf.so.0"
head -c 64 "$stage_libdir/libumf.so" | grep -q 'GNU ld script' ||
    fail "$stage_libdir/libumf.so is not the GNU ld script"

[ "$errors" -eq 0 ] || exit 1
echo "PASS: check_link.sh"
