#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the two Debian packages from the build tree (as scripts/package.sh does) into a
# temporary folder and checks what a user's apt will see: names, Depends worked out by
# dpkg-shlibdeps, and which files each carries. Installing them needs a clean system:
# scripts/check-clean-debian.sh does that. Environment (set by CTest): IPCW_BUILD_DIR, CPACK_COMMAND.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "PASS: $*"; }

(cd "$IPCW_BUILD_DIR" && "$CPACK_COMMAND" -G DEB -B "$work" >"$work/cpack.log" 2>&1) \
    || { cat "$work/cpack.log"; echo "FAIL: cpack -G DEB failed"; exit 1; }
runtime=$(ls "$work"/ipcworkshop_*.deb 2>/dev/null || true)
sdk=$(ls "$work"/ipcworkshop-dev_*.deb 2>/dev/null || true)
[ -n "$runtime" ] && [ -n "$sdk" ] || { ls "$work"; echo "FAIL: expected ipcworkshop_*.deb and ipcworkshop-dev_*.deb"; exit 1; }

depends=$(dpkg-deb --field "$runtime" Depends)
echo "ipcworkshop Depends: $depends"
for package in libqt6core6 libqt6widgets6 libqt6charts6 libqt6network6 qt6-qpa-plugins libc6; do
    echo "$depends" | grep -q "\b$package\b" && pass "ipcworkshop depends on $package" \
        || fail "ipcworkshop does not depend on $package"
done
dpkg-deb --field "$sdk" Depends | grep -q "ipcworkshop (= " && pass "ipcworkshop-dev depends on its ipcworkshop" \
    || fail "ipcworkshop-dev does not depend on the same version of ipcworkshop"

runtime_files=$(dpkg-deb --contents "$runtime" | awk '{print $6}')
sdk_files=$(dpkg-deb --contents "$sdk" | awk '{print $6}')
for file in ./usr/bin/ipcworkshop ./usr/lib/ipcworkshop/plugins/libipcw_tcp.so \
            ./usr/share/applications/ipcworkshop.desktop ./usr/share/metainfo/io.github.ipcworkshop.metainfo.xml; do
    echo "$runtime_files" | grep -qx "$file" && pass "ipcworkshop has $file" || fail "ipcworkshop lacks $file"
done
echo "$runtime_files" | grep -q '^\./usr/lib/libipcworkshop-core\.so\.[0-9]' && pass "ipcworkshop has the core library" \
    || fail "ipcworkshop lacks libipcworkshop-core.so.N"
for file in ./usr/include/ipcworkshop/itransport.h ./usr/lib/cmake/IpcWorkshop/IpcWorkshopConfig.cmake ./usr/lib/libipcworkshop-core.so; do
    echo "$sdk_files" | grep -qx "$file" && pass "ipcworkshop-dev has $file" || fail "ipcworkshop-dev lacks $file"
done
! echo "$runtime_files" | grep -q '^\./usr/include/' || fail "ipcworkshop carries SDK headers"
echo "sizes: $(du -h "$runtime" | cut -f1) $(basename "$runtime"), $(du -h "$sdk" | cut -f1) $(basename "$sdk")"
echo "$failures failed"
[ "$failures" -eq 0 ]
