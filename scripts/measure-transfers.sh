#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# 100,000 generated records over every local mechanism, five runs each, with real headless
# receiver and sender processes; prints each run's end-to-end records/s (as the receiver
# reports it) and the median. Run under a display (or `xvfb-run -a`) to include the clipboard.
# Usage: scripts/measure-transfers.sh [records] [runs]    (after scripts/build.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/bin/ipcworkshop"
records=${1:-100000}
runs=${2:-5}
transports=(tcp localsocket namedpipe mailslot filemapping)
[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && transports+=(clipboard)

for transport in "${transports[@]}"; do
    rates=()
    for run in $(seq "$runs"); do
        case $transport in
            tcp) address="127.0.0.1:$((47400 + run))" ;;
            clipboard) address=paced ;;
            *) address="measure$$x$run" ;;
        esac
        log=$(mktemp)
        "$bin" --headless --role receiver --transport "$transport" --address "$address" \
            --expect "$records" --timeout 300 >"$log" 2>&1 &
        receiver=$!
        for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.1; done
        "$bin" --headless --role sender --transport "$transport" --address "$address" \
            --generate "$records" >/dev/null 2>&1 || true
        wait "$receiver" || true
        rates+=("$(grep -o '[0-9]* records/s' "$log" | grep -o '[0-9]*' || echo 0)")
        rm -f "$log"
    done
    sorted=$(printf '%s\n' "${rates[@]}" | sort -n)
    median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
    printf '%-12s median %9s records/s   runs: %s\n' "$transport" "$median" "$(echo $sorted)"
done
