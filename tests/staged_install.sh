# shellcheck shell=sh disable=SC2034,SC2154 # sourced: its caller sets and reads these
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# staged_install.sh -- sourced by the tests that use libumf as installed:
# `make install DESTDIR=...` of this build tree into a temporary directory,
# where its parts are, and the checks those tests share.
#
# Needs (exported by tests/local.mk): top_builddir, umf_prefix, umf_libdir,
# umf_includedir. Defines:
#   stage_begin NAME  make $tmp (removed at exit) and install into $tmp/stage;
#                     exits 1, with the log, when the install fails; then
#                     stage_prefix, stage_libdir, stage_includedir are set
#   fail MESSAGE      print "FAIL: MESSAGE" and count it in $errors
#   needed FILE       FILE's DT_NEEDED entries, each followed by a space

errors=0
fail() {
    echo "FAIL: $*"
    errors=$((errors + 1))
}

needed() {
    readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '
}

stage_begin() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
    trap 'rm -rf "$tmp"' EXIT HUP INT TERM
    stage=$tmp/stage
    # This script runs under make check: the parent's jobserver is not ours.
    # libtool relinks libumf_proxy in the build tree while it installs it
    # (the original waits as .so.0.0.0T): installs take the build tree's
    # install lock alone, and tests that run the built libraries share it
    # (umf_build_lock_shared in tests/check_proxy.sh).
    if ! (unset MAKEFLAGS MFLAGS MAKELEVEL &&
        flock -x "$top_builddir/tests/install.lock" \
            ${MAKE:-make} -C "$top_builddir" install DESTDIR="$stage") \
        >"$stage.log" 2>&1; then
        echo "FAIL: make install DESTDIR=$stage failed:"
        tail -n 30 "$stage.log"
        exit 1
    fi
    stage_prefix=$stage$umf_prefix
    stage_libdir=$stage$umf_libdir
    stage_includedir=$stage$umf_includedir
}
