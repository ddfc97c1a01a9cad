#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages IPC Workshop needs to build, run and test, and nothing else.
# Only packages that are missing are installed; a machine that has them all is left alone.
# `install-deps.sh --list` prints the package names, one per line, and installs nothing
# (tests/installdeps checks the build against this list).
set -euo pipefail

packages=(
    # build
    cmake ninja-build g++ pkg-config zlib1g-dev libgl-dev python3
    qt6-base-dev qt6-base-dev-tools qt6-charts-dev qt6-svg-dev qt6-qpa-plugins
    libqt6opengl6-dev  # Qt6Charts' CMake package needs Qt6OpenGL, which qt6-charts-dev does not pull in
    libxcb1-dev libxcb-xfixes0-dev  # the clipboard's benchmark floor: X selections with plain xcb, no Qt
    libssl-dev  # OpenSSL's headers and libcrypto: the TLS receiver makes its self-signed certificate
                # (Qt can use one but not make one); Qt's TLS backend plugin itself comes with
                # libqt6network6 (plugins/tls/libqopensslbackend.so), which depends on libssl3
    libzmq3-dev  # libzmq's headers and library: the zeromq plugins, and ZeroMQ's own loop as a benchmark floor
    dbus-daemon  # the dbus plugin's tests and benchmark start a private session bus of their own
    libdbus-1-dev  # libdbus-1's headers: the benchmark's Qt-free D-Bus floor (QtDBus comes with qt6-base-dev)
    # a real X server for the windows and the clipboard, screenshots, clipboard checks
    xvfb xauth xclip x11-utils imagemagick fonts-dejavu-core
    # Windows backends: cross-compiler and Wine to run them
    g++-mingw-w64-x86-64 wine wine64
    # tst_netns runs a receiver and a sender in two network namespaces with `ip netns`;
    # a minimal Debian (debootstrap --variant=minbase) has no iproute2
    iproute2
    # desktop integration checks
    desktop-file-utils appstream
    # Debian packages (scripts/package.sh): CPack finds the binaries with `file`, and
    # dpkg-shlibdeps works out their Depends
    dpkg-dev file
)

if [ "${1:-}" = "--list" ]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: every package is already installed."
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: missing packages (${missing[*]}) and no sudo; run as root." >&2; exit 1; }
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
