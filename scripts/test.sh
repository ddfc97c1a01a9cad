#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's test command (and what .ci/run calls): install, build, run every test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
start=$(date +%s)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
echo "install and build: $(($(date +%s) - start)) s"
cd "$root/build"
# ctest's own summary stays the last thing printed: CI reads it.
exec ctest --output-on-failure --timeout 600 -j 2
