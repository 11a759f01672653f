# shellcheck shell=sh disable=SC2034,SC2154 # sourced: its caller sets and reads these
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# staged_install.sh -- sourced by the tests that use libumf as installed:
# `make install DESTDIR=$stage` of this build tree, and where its parts are.
#
# Needs (exported by tests/local.mk): top_builddir, umf_prefix, umf_libdir,
# umf_includedir. Defines: stage_install DIR (returns non-zero and prints
# the log when the install fails), and after it stage_libdir,
# stage_includedir, stage_prefix.

stage_install() {
    stage=$1
    # this script runs under make check: the parent's jobserver is not ours
    if ! (unset MAKEFLAGS MFLAGS MAKELEVEL &&
        ${MAKE:-make} -C "$top_builddir" install DESTDIR="$stage") \
        >"$stage.log" 2>&1; then
        echo "FAIL: make install DESTDIR=$stage failed:"
        tail -n 30 "$stage.log"
        return 1
    fi
    stage_prefix=$stage$umf_prefix
    stage_libdir=$stage$umf_libdir
    stage_includedir=$stage$umf_includedir
}
