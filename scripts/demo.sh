#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's first command: install what is missing, build, then show a receiver and a
# sender exchanging 1,000 employees over TCP on loopback. With a display: two windows. Without
# one: the same exchange headless, ending with a printed summary and the CSV path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

app="$root/build/bin/ipcworkshop"
address="127.0.0.1:${IPCW_DEMO_PORT:-47001}"
records=1000

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "demo: opening a receiver and a sender window (close both to finish)."
    "$app" --role receiver --transport tcp --address "$address" &
    receiver=$!
    sleep 1
    "$app" --role sender --transport tcp --address "$address" --generate "$records" --send-on-start &
    sender=$!
    wait "$sender" "$receiver"
    exit 0
fi

echo "demo: no display found, so the exchange runs headless."
csv="$root/build/demo-received.csv"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"$app" --headless --role receiver --transport tcp --address "$address" \
    --expect "$records" --export "$csv" --timeout 60 >"$log" 2>&1 &
receiver=$!
for _ in $(seq 100); do
    grep -q "listening" "$log" && break
    kill -0 "$receiver" 2>/dev/null || break
    sleep 0.1
done
"$app" --headless --role sender --transport tcp --address "$address" --generate "$records"
status=0
wait "$receiver" || status=$?
cat "$log"
exit $status
