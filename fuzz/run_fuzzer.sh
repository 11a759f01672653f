#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# run_fuzzer.sh -- what `make fuzz' runs (fuzz/local.mk), in the build
# directory:
#
#   run_fuzzer.sh SECONDS SRCDIR NAME   run fuzz/fuzz_NAME for SECONDS
#   run_fuzzer.sh --summary NAME...     print the results, fail on findings
#
# A run starts from the seeds SRCDIR/corpus/NAME and the regression inputs
# SRCDIR/regressions/NAME (read only) and adds what it finds new to
# fuzz/work/NAME; crash, leak, timeout and out-of-memory inputs go to
# fuzz/artifacts/NAME/. Its log is fuzz/NAME.log and its one-line result
# fuzz/NAME.result: "NAME: N executions in S s, K findings" (for a
# keep-going target, then a line per crash input: what and where).
# UMF_FUZZ_KEEP_GOING (names): those targets run in libFuzzer's fork mode,
# go on after a crash, and their findings are reported but do not fail.
# UMF_FUZZ_FLAGS: more libFuzzer flags.
set -u

if [ "${1-}" = --summary ]; then
    shift
    status=0
    echo
    echo "fuzzing results:"
    for name in "$@"; do
        if [ -f "fuzz/$name.result" ]; then
            sed 's/^/  /' "fuzz/$name.result"
        else
            echo "  $name: did not run"
            status=1
        fi
        if [ -f "fuzz/$name.failed" ]; then
            status=1
        fi
    done
    exit $status
fi

seconds=$1 srcdir=$2 name=$3
prog=fuzz/fuzz_$name
work=fuzz/work/$name
art=fuzz/artifacts/$name
log=fuzz/$name.log
result=fuzz/$name.result
rm -f "$result" "fuzz/$name.failed"
mkdir -p "$work" "$art" fuzz/tmp
rm -f "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-* \
    "$art"/slow-unit-*
seeds="$srcdir/corpus/$name"
[ -d "$srcdir/regressions/$name" ] && seeds="$seeds $srcdir/regressions/$name"

keep_going=no
for k in ${UMF_FUZZ_KEEP_GOING-}; do
    [ "$k" = "$name" ] && keep_going=yes
done

# Scratch files of the targets (fuzz/fuzz_common.c) stay in the build tree;
# sanitizer reports are fatal and carry stacks.
UMF_FUZZ_TMPDIR=$(pwd)/fuzz/tmp
UBSAN_OPTIONS=${UBSAN_OPTIONS-print_stacktrace=1:halt_on_error=1}
ASAN_OPTIONS=${ASAN_OPTIONS-verify_asan_link_order=0}
export UMF_FUZZ_TMPDIR UBSAN_OPTIONS ASAN_OPTIONS

flags="-max_total_time=$seconds -timeout=30 -rss_limit_mb=4096 \
-artifact_prefix=$art/ -print_final_stats=1"
if [ $keep_going = yes ]; then
    flags="$flags -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
fi
echo "fuzzing $name for ${seconds}s (log: $log)"
# A mutated IPC handle can make the library unmap the process's own memory,
# after which a fork-mode job may hang in its signal handler, where
# libFuzzer's own timeout cannot end it: timeout(1) ends the whole process
# group a minute past the deadline.
# shellcheck disable=SC2086 # flags and seeds are word lists
timeout -k 10 $((seconds + 60)) \
    "$prog" $flags ${UMF_FUZZ_FLAGS-} "$work" $seeds >"$log" 2>&1
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "$name: still running a minute past the deadline; ended" >>"$log"
fi

# Executions: the final stats (one process), or the last status line of
# fork mode ("#N: cov: ..." counts every child's runs).
runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" |
    tail -n 1)
if [ -z "$runs" ]; then
    runs=$(sed -n 's/^#\([0-9][0-9]*\):* .*/\1/p' "$log" | tail -n 1)
fi
secs=$(sed -n 's/.*exiting: [0-9]* time: \([0-9]*\)s.*/\1/p' "$log" | tail -n 1)
[ -n "$secs" ] || secs=$seconds
findings=$(find "$art" -type f \( -name 'crash-*' -o -name 'leak-*' -o \
    -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
line="$name: ${runs:-0} executions in ${secs}s, $findings findings"
if [ "$findings" -gt 0 ]; then
    line="$line (inputs in $art/)"
fi
if [ $keep_going = yes ]; then
    line="$line [keep-going: findings do not fail]"
elif [ $rc -ne 0 ] || [ "$findings" -gt 0 ]; then
    line="$line, libFuzzer exited $rc"
    : >"fuzz/$name.failed"
    tail -n 60 "$log"
fi
echo "$line" >"$result"
# Fork mode logs no stacks: replay each crash input alone (at most 20, 10 s
# each) and keep its report in fuzz/NAME.crashes, one summary line per
# input.
if [ $keep_going = yes ] && [ "$findings" -gt 0 ]; then
    : >"fuzz/$name.crashes"
    find "$art" -type f -name 'crash-*' | sort | head -n 20 |
        while read -r input; do
            out=$(timeout -k 5 10 "$prog" "$input" 2>&1)
            what=$(printf '%s\n' "$out" | grep -m 1 -E \
                '^==FINDING==|^==[0-9]+==ERROR|^SUMMARY' || echo "no crash on replay alone")
            where=$(printf '%s\n' "$out" | grep -E '^ +#[0-9]+ .* in [a-z_]+ /' |
                grep -v -E ' in (fuzz_fail|__sanitizer|fuzzer::)' |
                head -n 3 | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in ([^ ]+) .*\/([^/]+:[0-9]+).*/\1 (\2)/' |
                paste -s -d '<' -)
            {
                echo "== $input"
                printf '%s\n' "$out" | grep -E '^==|^ +#[0-9]+ |^SUMMARY' |
                    grep -v -E ' in (fuzzer::|__sanitizer|__libc|_start|main |abort|raise|__pthread_kill)|libc\.so' |
                    head -n 30
            } >>"fuzz/$name.crashes"
            echo "  $(basename "$input"): $what; $where" >>"$result"
        done
fi
cat "$result"
exit 0
