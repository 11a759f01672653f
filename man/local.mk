# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# man/local.mk -- installed manual pages (filled in by the man-page work)
