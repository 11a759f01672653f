#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# gen_cmake_config.sh -- fill in a CMake package file template.
#
# usage: gen_cmake_config.sh PREFIX LIBDIR INCLUDEDIR CMAKEDIR VERSION \
#                            SIZEOF_VOID_P IN
# Writes IN to stdout with its @UMF_CMAKE_*@, @PACKAGE_VERSION@ and
# @UMF_SIZEOF_VOID_P@ filled in.
# The package finds the installation from its own location, so a prefix that
# is staged (DESTDIR) or moved still works: the prefix is CMAKEDIR's
# ancestor, and directories under the prefix are written relative to it;
# a directory outside the prefix is written as it is.
set -eu
prefix=$1 libdir=$2 includedir=$3 cmakedir=$4 version=$5 ptr=$6 in=$7

# under_prefix DIR: ${_umf_prefix}/REST when DIR is inside the prefix
under_prefix() {
    case $1 in
    "$prefix") echo '${_umf_prefix}' ;;
    "$prefix"/*) echo '${_umf_prefix}/'"${1#"$prefix"/}" ;;
    *) echo "$1" ;;
    esac
}

case $cmakedir in
"$prefix"/*)
    up=$(echo "${cmakedir#"$prefix"/}" | sed -e 's|[^/][^/]*|..|g')
    prefix_expr='${CMAKE_CURRENT_LIST_DIR}/'"$up"
    ;;
*) prefix_expr=$prefix ;;
esac

sed -e "s|@UMF_CMAKE_PREFIX@|$prefix_expr|g" \
    -e "s|@UMF_CMAKE_LIBDIR@|$(under_prefix "$libdir")|g" \
    -e "s|@UMF_CMAKE_INCLUDEDIR@|$(under_prefix "$includedir")|g" \
    -e "s|@PACKAGE_VERSION@|$version|g" \
    -e "s|@UMF_SIZEOF_VOID_P@|$ptr|g" "$in"
