#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Environment (set by CTest): IPCW_BUILD_DIR, IPCW_SOURCE_DIR, CMAKE_COMMAND, CMAKE_MAKE_PROGRAM, CXX.
set -euo pipefail
work=$(mktemp -d)
receiver=""
cleanup() {
    [ -n "$receiver" ] && kill "$receiver" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
prefix="$work/prefix"
records=10000
step() { echo "== $*"; }
die() { echo "FAIL: $*"; exit 1; }

step "install the program and the SDK into $prefix"
"$CMAKE_COMMAND" --install "$IPCW_BUILD_DIR" --prefix "$prefix" >"$work/install.log" \
    || { cat "$work/install.log"; die "cmake --install failed"; }

step "configure and build examples/seqpacket against the installed SDK only"
# No package registry and no path into the build tree: only the prefix can satisfy find_package.
"$CMAKE_COMMAND" -S "$IPCW_SOURCE_DIR/examples/seqpacket" -B "$work/example" -G Ninja \
    -DCMAKE_MAKE_PROGRAM="$CMAKE_MAKE_PROGRAM" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    || die "configuring the example against $prefix failed"
grep -q "^IpcWorkshop_DIR:PATH=$prefix/" "$work/example/CMakeCache.txt" \
    || die "the example found IpcWorkshop outside $prefix: $(grep '^IpcWorkshop_DIR' "$work/example/CMakeCache.txt")"
"$CMAKE_COMMAND" --build "$work/example" || die "building the example failed"
plugin=$(find "$work/example" -name '*.so' -type f | head -n 1)
[ -n "$plugin" ] || die "the example's build made no plugin file"
echo "plugin: $plugin"

step "a plugin whose JSON declares the API before this one is stopped when it is configured"
api=$(sed -n 's/^constexpr int IpcwTransportApiVersion = \([0-9]*\);/\1/p' "$IPCW_SOURCE_DIR/core/transport/itransport.h")
[ -n "$api" ] || die "cannot read IpcwTransportApiVersion from core/transport/itransport.h"
cp -r "$IPCW_SOURCE_DIR/examples/seqpacket" "$work/stale-source"
sed -i "s/\"apiVersion\": $api,/\"apiVersion\": $((api - 1)),/" "$work/stale-source/seqpacket.json"
grep -q "\"apiVersion\": $((api - 1))," "$work/stale-source/seqpacket.json" || die "could not make the stale copy of seqpacket.json"
if "$CMAKE_COMMAND" -S "$work/stale-source" -B "$work/stale" -G Ninja \
    -DCMAKE_MAKE_PROGRAM="$CMAKE_MAKE_PROGRAM" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF >"$work/stale.log" 2>&1; then
    die "a plugin declaring API $((api - 1)) was configured against an SDK for API $api"
fi
# CMake wraps and indents the message: compare it with its white space folded.
folded=$(tr -s ' \n' '  ' <"$work/stale.log")
grep -q "\"apiVersion\": $((api - 1)), but this SDK builds plugins for transport API $api\. Port the plugin" <<<"$folded" \
    || { cat "$work/stale.log"; die "configuring the stale plugin failed without saying which API it needs"; }

# An empty home, no display: what the program finds is the installed plugins and what we give it.
export HOME="$work/home" XDG_DATA_HOME="$work/home/.local/share" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset DISPLAY WAYLAND_DISPLAY IPCW_PLUGIN_PATH
app="$prefix/bin/ipcworkshop"
address="sdktest$$"

step "move $records records between two processes through the plugin (--plugin)"
"$app" --headless --role receiver --transport seqpacket --address "$address" --plugin "$plugin" \
    --expect "$records" --export "$work/received.csv" --timeout 120 >"$work/receiver.log" 2>&1 &
receiver=$!
for _ in $(seq 100); do
    grep -q "listening" "$work/receiver.log" && break
    kill -0 "$receiver" 2>/dev/null || break
    sleep 0.1
done
grep -q "listening" "$work/receiver.log" || { cat "$work/receiver.log"; die "the receiver did not start listening"; }
"$app" --headless --role sender --transport seqpacket --address "$address" --plugin "$plugin" \
    --generate "$records" --timeout 120 || die "the sender failed"
status=0
wait "$receiver" || status=$?
receiver=""
cat "$work/receiver.log"
[ "$status" -eq 0 ] || die "the receiver exited with $status"
grep -q "^Received $records records in .* lost 0 frames" "$work/receiver.log" \
    || die "the receiver's summary does not say $records records with none lost"
grep -q "^CSV: .* ($records rows)" "$work/receiver.log" || die "the export does not hold $records rows"

step "install by copying into the per-user plugin folder"
mkdir -p "$XDG_DATA_HOME/ipcworkshop/plugins"
cp "$plugin" "$XDG_DATA_HOME/ipcworkshop/plugins/"
listing=$("$app" --list-transports)
echo "$listing"
echo "$listing" | grep -Eq '^seqpacket .* ok ' || die "the copied plugin is not listed as usable"

echo "PASS: an out-of-tree plugin built against the installed SDK moved $records records and installs by copying"
