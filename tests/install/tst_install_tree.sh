#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the build into a temporary prefix and checks that the installed program works from
# there alone. Environment (set by CTest): IPCW_BUILD_DIR, CMAKE_COMMAND, DESKTOP_FILE_VALIDATE,
# APPSTREAMCLI.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "PASS: $*"; }

"$CMAKE_COMMAND" --install "$IPCW_BUILD_DIR" --prefix "$prefix" >"$work/install.log" \
    || { cat "$work/install.log"; echo "FAIL: cmake --install failed"; exit 1; }
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$IPCW_BUILD_DIR/CMakeCache.txt")
app="$prefix/bin/ipcworkshop"

for file in bin/ipcworkshop share/applications/ipcworkshop.desktop \
            share/metainfo/io.github.ipcworkshop.metainfo.xml \
            share/icons/hicolor/scalable/apps/ipcworkshop.svg \
            include/ipcworkshop/itransport.h "$libdir/cmake/IpcWorkshop/IpcWorkshopConfig.cmake"; do
    [ -e "$prefix/$file" ] && pass "installed $file" || fail "$file is not installed"
done

# Every plugin the build made is installed, and nothing else is.
built=$(cd "$IPCW_BUILD_DIR/bin/plugins" && ls ./*.so | xargs -n1 basename | sort)
installed=$(cd "$prefix/$libdir/ipcworkshop/plugins" && ls ./*.so | xargs -n1 basename | sort)
[ "$built" = "$installed" ] && pass "plugins installed: $(echo $installed)" \
    || fail "installed plugins ($(echo $installed)) differ from the built ones ($(echo $built))"

# The installed program must use the installed library, not the build tree's.
core=$(ldd "$app" | awk '/libipcworkshop-core/ {print $3}')
case "$core" in
    "$prefix"/*) pass "the program loads $core" ;;
    *) fail "the installed program loads its core library from '$core', not from $prefix" ;;
esac

# A user with an empty home: only the installed plugins can be found. No display and no session
# bus: every mechanism but the clipboard and dbus is usable, and those two say why they are not.
home="$work/home"
mkdir -p "$home"
listing=$(env -u DISPLAY -u WAYLAND_DISPLAY -u IPCW_PLUGIN_PATH -u DBUS_SESSION_BUS_ADDRESS HOME="$home" \
    XDG_DATA_HOME="$home/.local/share" XDG_RUNTIME_DIR="$work" "$app" --list-transports 2>&1) \
    || fail "--list-transports exited non-zero"
echo "$listing"
for plugin in $installed; do
    id=$(echo "$plugin" | sed -E 's/^libipcw_(.*)\.so$/\1/')
    [ "$id" = copydata ] && continue # Windows only: not built here
    if [ "$id" = clipboard ]; then
        echo "$listing" | grep -Eq "^clipboard .* unavailable " && pass "clipboard listed, unavailable without a display" \
            || fail "clipboard is not listed as unavailable"
    elif [ "$id" = dbus ]; then
        echo "$listing" | grep -Eq "^dbus .* unavailable .*No D-Bus session bus" \
            && pass "dbus listed, unavailable without a session bus" || fail "dbus is not listed as unavailable without a bus"
        # With a bus of its own (dbus-daemon is one of install-deps.sh's packages) it is usable.
        onbus=$(env -u DISPLAY -u WAYLAND_DISPLAY -u IPCW_PLUGIN_PATH -u DBUS_SESSION_BUS_ADDRESS HOME="$home" \
            XDG_DATA_HOME="$home/.local/share" XDG_RUNTIME_DIR="$work" dbus-run-session -- "$app" --list-transports 2>&1)
        echo "$onbus" | grep -Eq "^dbus .* ok " && pass "dbus usable on a session bus (dbus-run-session)" \
            || fail "dbus is not usable on a session bus: $(echo "$onbus" | grep '^dbus')"
    else
        echo "$listing" | grep -Eq "^$id .* ok " && pass "$id listed and usable" || fail "$id is not listed as usable"
    fi
done
! echo "$listing" | grep -q " error " || fail "a plugin failed to load"
# Both ZeroMQ modes are installed on Linux (listed usable above: each loaded with libzmq5, from libzmq3-dev).
for id in zeromq zeromq-pubsub; do
    echo "$installed" | grep -qx "libipcw_$id.so" && pass "$id plugin installed" || fail "the $id plugin is not installed"
done

"$DESKTOP_FILE_VALIDATE" "$prefix/share/applications/ipcworkshop.desktop" \
    && pass "desktop-file-validate" || fail "desktop-file-validate refused the desktop file"
"$APPSTREAMCLI" validate --no-net --pedantic "$prefix/share/metainfo/io.github.ipcworkshop.metainfo.xml" \
    && pass "appstreamcli validate" || fail "appstreamcli refused the metainfo file"

echo "$failures failed"
[ "$failures" -eq 0 ]
