#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer harnesses (tests/fuzz) with clang-14 under ASan and UBSan in build-fuzz/
# and runs each one for a number of executions, starting from fresh seeds and the committed
# corpus. docs/fuzzing.md explains the harnesses and what to do with a crash.
#
#   scripts/fuzz.sh [--runs N] [--seconds S] [--merge] [harness...]
#     --runs N   executions per harness (default 10000000)
#     --seconds S  stop a harness after S seconds even if it has not reached N runs
#     --merge    afterwards, minimise what was found into tests/fuzz/corpus/<harness>/
#     harness    decode streamframer mailslot namedpipe shmring clipboard csvreader pluginmetadata
#                (default: all, one after another)
# Work files and crash inputs go to build-fuzz/fuzz-work/<harness>/; a summary table ends the run.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${IPCW_FUZZ_BUILD_DIR:-$root/build-fuzz}
runs=10000000
seconds=0
merge=0
harnesses=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --merge) merge=1; shift ;;
        -h|--help) sed -n '3,14p' "$0"; exit 0 ;;
        *) harnesses+=("$1"); shift ;;
    esac
done
all=(decode streamframer mailslot namedpipe shmring clipboard csvreader pluginmetadata)
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

# The longest input each harness is given: enough for several frames, records or operations,
# short enough to keep the executions fast.
max_len() {
    case "$1" in
        decode|clipboard) echo 8192 ;;
        shmring) echo 2048 ;;
        csvreader) echo 1024 ;;
        *) echo 4096 ;;
    esac
}

# clang-14 and its libFuzzer runtime are only needed here, not for the normal build, so
# scripts/install-deps.sh does not install them.
if ! command -v clang++-14 >/dev/null || ! compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
    echo "fuzz.sh needs clang-14 and its libFuzzer runtime:" >&2
    echo "  sudo apt-get install clang-14 libclang-rt-14-dev" >&2
    exit 1
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_C_COMPILER=clang-14 -DIPCW_BUILD_FUZZERS=ON "${launcher[@]}" >/dev/null
targets=(fuzz_seeds)
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
nice cmake --build "$build" -j "${IPCW_FUZZ_BUILD_JOBS:-2}" --target "${targets[@]}"

# ASan keeps 256 MiB of freed blocks in quarantine by default, so nearly every allocation of a
# run maps fresh pages: two fifths of fuzz_shmring's time went to page faults. 16 MiB still
# holds what one input frees, and nearly doubled that rate (950 against 520 a second).
export ASAN_OPTIONS="quarantine_size_mb=16${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

work=$build/fuzz-work
rm -rf "$work/seeds"
"$build/bin/fuzz_seeds" "$work/seeds" >/dev/null

failed=0
summary=$(printf '%-15s %12s %8s %6s %7s %8s %9s\n' harness execs seconds cov ft files bytes)
for h in "${harnesses[@]}"; do
    committed=$root/tests/fuzz/corpus/$h
    dir=$work/$h
    mkdir -p "$dir/corpus" "$committed"
    echo "== fuzz_$h: $runs runs"
    status=ok
    start=$(date +%s)
    # New inputs go to the first folder; the committed corpus and the seeds are read only.
    if ! nice -n 10 "$build/bin/fuzz_$h" -runs="$runs" -max_total_time="$seconds" -max_len="$(max_len "$h")" -timeout=25 \
            -print_final_stats=1 -artifact_prefix="$dir/" \
            "$dir/corpus" "$committed" "$work/seeds/$h" >"$dir/fuzz.log" 2>&1; then
        status=CRASH
        failed=1
        echo "fuzz_$h broke a promise or crashed: see $dir/fuzz.log and the input(s) $dir/crash-* etc." >&2
    fi
    took=$(( $(date +%s) - start ))
    if [ "$merge" = 1 ] && [ "$status" = ok ]; then
        # A fresh folder holding only what adds coverage replaces the committed corpus.
        rm -rf "$dir/merged" && mkdir "$dir/merged"
        nice -n 10 "$build/bin/fuzz_$h" -merge=1 -max_len="$(max_len "$h")" -timeout=25 \
            "$dir/merged" "$committed" "$dir/corpus" >"$dir/merge.log" 2>&1
        rm -rf "$committed" && mv "$dir/merged" "$committed"
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$dir/fuzz.log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    files=$(find "$committed" -type f | wc -l)
    bytes=$(du -sb "$committed" | cut -f1)
    summary+=$(printf '\n%-15s %12s %8s %6s %7s %8s %9s %s' "$h" "${execs:-?}" "$took" "${cov:-?}" "${ft:-?}" \
        "$files" "$bytes" "$status")
done
echo "$summary"
exit $failed
