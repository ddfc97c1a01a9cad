#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the two Debian packages into build/packages: ipcworkshop (program and plugins) and
# ipcworkshop-dev (the plugin SDK). Install with `apt-get install ./build/packages/ipcworkshop_*.deb`,
# which pulls in the runtime dependencies dpkg-shlibdeps found.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root/build"
cpack -G DEB >cpack.log 2>&1 || { cat cpack.log; echo "package: cpack failed (log above)." >&2; exit 1; }
for deb in packages/*.deb; do
    echo "$deb ($(du -h "$deb" | cut -f1))"
    dpkg-deb --field "$deb" Package Version Depends | sed 's/^/    /'
done
