#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# What a hostile peer costs a receiver (docs/wire-format.md, "What a receiver refuses"): starts
# a headless receiver, attacks it, runs a good sender of 20,000 records during the attack and
# another after it, and prints the receiver's peak memory growth, its refusals and summary.
#
# Usage: scripts/measure-hostile.sh stall|flood|bigframe [tcp|localsocket] [receiver options...]
#   stall     six connections, each a header announcing 64 MiB and then all of it but one byte
#   flood     one connection sending 1 MiB pings as fast as it can, never reading the pongs
#   bigframe  legal frames of the largest size, 64 MiB of 2.8 M minimal records each, one after
#             another; a second connection keeps one small ping in flight and reports the slowest answer
#             (how long the receiver kept everyone else waiting)
# Receiver options go to the receiver as they are (e.g. --max-pending-mib 64); without them it
# runs with the defaults. IPCW_PROGRAM picks another build (default: build/bin/ipcworkshop);
# IPCW_ATTACK_SECONDS how long the attacker goes on (default 25: past the default timeout).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
program="${IPCW_PROGRAM:-$root/build/bin/ipcworkshop}"
attack="${1:?usage: $0 stall|flood|bigframe [tcp|localsocket] [receiver options...]}"
transport="${2:-tcp}"
shift $(($# < 2 ? $# : 2))
case "$transport" in
    tcp) address="127.0.0.1:$((47000 + RANDOM % 2000))" ;;
    localsocket) address="hostile-$$" ;;
    *) echo "transport is tcp or localsocket, not $transport" >&2; exit 2 ;;
esac
# Two good senders of 20,000 records, plus three frames of 2,796,202 records in the bigframe attack.
expected=40000
[ "$attack" = bigframe ] && expected=$((40000 + 3 * 2796202))
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$program" --headless --role receiver --transport "$transport" --address "$address" --discard \
    --report-memory --expect "$expected" --timeout 180 "$@" >"$work/receiver.out" 2>"$work/receiver.err" &
receiver=$!
for _ in $(seq 100); do grep -q listening "$work/receiver.out" && break; sleep 0.1; done
if ! grep -q listening "$work/receiver.out"; then
    echo "The receiver did not start listening on $transport $address:" >&2
    cat "$work/receiver.out" "$work/receiver.err" >&2
    exit 1
fi

# The attacker: Python's standard library only, raw sockets, nothing read back.
python3 - "$attack" "$transport" "$address" "${IPCW_ATTACK_SECONDS:-25}" >"$work/attacker.out" 2>&1 <<'EOF' &
import os, socket, struct, sys, time, zlib
attack, transport, address, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
def connect():
    if transport == "tcp":
        host, port = address.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    else:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        folder = runtime + "/ipcworkshop" if runtime else "/tmp/ipcworkshop-%d" % os.getuid()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("%s/localsocket-%s.sock" % (folder, address))
    s.setblocking(False)
    return s
def frame(kind, payload, announced=None):
    header = struct.pack("<IHBBQQIII", 0x57435049, 1, kind, 0, 1, 0, 0,
                         len(payload) if announced is None else announced, 0xBAD)
    return header + struct.pack("<I", zlib.crc32(payload, zlib.crc32(header))) + payload
PING, RECORDS = 3, 1
def records_frame(sequence, count):
    # Minimal legal records: id, salary 0, no hire date, four empty texts (24 bytes each).
    payload = b"".join(struct.pack("<I", i) + bytes(20) for i in range(count))
    header = struct.pack("<IHBBQQIII", 0x57435049, 1, RECORDS, 0, sequence, 0, count, len(payload), 0xB16)
    return header + struct.pack("<I", zlib.crc32(payload, zlib.crc32(header))) + payload
if attack == "stall":
    data = memoryview(frame(PING, b"", 64 << 20) + b"x" * ((64 << 20) - 1))
    peers = [[connect(), 0] for _ in range(6)]
elif attack == "bigframe":
    count = (64 << 20) // 24
    frames = [records_frame(n, count) for n in (1, 2, 3)]
    data = memoryview(b"".join(frames))
    peers = [[connect(), 0]]
else:
    data = memoryview(frame(PING, b"p" * (1 << 20)))
    peers = [[connect(), 0]]
# The probe: one small ping at a time on its own connection, answered or not.
probe = connect() if attack == "bigframe" else None
probe_sent, probe_buffer, probe_slowest, probe_answers = None, b"", 0.0, 0
start, sent = time.time(), 0
while time.time() - start < seconds:
    if probe is not None:
        now = time.time()
        if probe_sent is None:
            probe.setblocking(True)
            probe.sendall(frame(PING, b"probe"))
            probe.setblocking(False)
            probe_sent = now
        try:
            probe_buffer += probe.recv(65536)
        except BlockingIOError:
            pass
        if len(probe_buffer) >= 45:  # one Pong: a 40-byte header and the 5 bytes echoed
            probe_buffer = probe_buffer[45:]
            probe_slowest = max(probe_slowest, now - probe_sent)
            probe_answers += 1
            probe_sent = None
        elif probe_sent is not None:
            probe_slowest = max(probe_slowest, now - probe_sent)
    for peer in peers:
        if attack != "flood" and peer[1] >= len(data):  # sent in full
            continue
        try:
            n = peer[0].send(data[peer[1] % len(data):][:1 << 20])
            peer[1] += n
            sent += n
        except BlockingIOError:
            pass
        except OSError:
            peer[1] = 1 << 62  # dropped by the receiver
    time.sleep(0.0005)
print("attacker sent %d MiB" % (sent >> 20))
if probe is not None:
    print("probe: %d pings answered, slowest answer %.0f ms" % (probe_answers, probe_slowest * 1000))
EOF
attacker=$!
sleep 3

run_sender() {
    local t0=$SECONDS code=0
    "$program" --headless --role sender --transport "$transport" --address "$address" --generate 20000 \
        --timeout 120 >"$work/sender.out" 2>&1 || code=$?
    echo "good sender $1 the attack: exit $code after $((SECONDS - t0)) s: $(tail -n 1 "$work/sender.out")"
}
run_sender during
wait "$attacker" || true
cat "$work/attacker.out"
run_sender after
wait "$receiver" || true

awk '/^Memory:/ { if (!start) start = $3; peak = $6 } END {
    printf "receiver peak growth: %d MiB (VmRSS %d kB when listening, VmHWM %d kB at the end)\n",
           (peak - start) / 1024, start, peak }' "$work/receiver.out"
echo "refusals: $(grep -c "was refused" "$work/receiver.err" || true)"
grep "was refused" "$work/receiver.err" | cut -c1-200 | head -3 || true
grep "^Received" "$work/receiver.out" || true
