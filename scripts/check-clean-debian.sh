#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Tries the README as a new user would: a minimal Debian 12 (debootstrap --variant=minbase
# bookworm) with nothing else installed, a clone of the current commit, and the README's two
# commands run there, each followed by the tail of what it printed. A package missing from
# scripts/install-deps.sh fails here even when this machine has it installed by hand.
# Then the Debian packages: scripts/package.sh in that chroot, and `apt-get install
# ./ipcworkshop_*.deb` in a second fresh one, which must pull in every runtime dependency and
# run a headless transfer with the installed program.
#
# Usage (as root): scripts/check-clean-debian.sh [work folder]    (default /var/tmp/ipcw-clean-debian)
# Slow (an hour or more on two cores, half of it the ASan+UBSan suite), so not part of .ci/run; run it before resolving a change
# to the dependencies, the build or the scripts. Only committed work is tried: the clone takes HEAD.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/var/tmp/ipcw-clean-debian}"
builder="$work/bookworm"
installer="$work/bookworm-deb"
mirror="${IPCW_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

[ "$(id -u)" -eq 0 ] || { echo "check-clean-debian: run as root (debootstrap and chroot need it)." >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "check-clean-debian: needs debootstrap: apt-get install debootstrap" >&2; exit 1; }
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
    echo "check-clean-debian: note: uncommitted changes are not tried, only HEAD $(git -C "$root" rev-parse --short HEAD)."
fi

mounts=(proc sys dev dev/pts dev/shm)
unmount_all() {
    for target in "$builder" "$installer"; do
        for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
            mountpoint -q "$target/${mounts[i]}" && umount -l "$target/${mounts[i]}"
        done
    done
    return 0
}
trap unmount_all EXIT

# A fresh minbase bookworm in $1 with the release, its updates and its security fixes, as a new
# installation has them, and the kernel file systems the tests need.
make_chroot() {
    local target=$1 step
    step=$(date +%s)
    rm -rf "$target"
    echo "check-clean-debian: debootstrap --variant=minbase bookworm into $target"
    debootstrap --variant=minbase bookworm "$target" "$mirror" >"$target.debootstrap.log" 2>&1 \
        || { tail -n 20 "$target.debootstrap.log"; exit 1; }
    cat >"$target/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
    cp /etc/resolv.conf "$target/etc/resolv.conf"
    mount -t proc proc "$target/proc"
    mount -t sysfs sysfs "$target/sys"
    mount --bind /dev "$target/dev"
    mount -t devpts devpts "$target/dev/pts"
    mount -t tmpfs -o mode=1777 tmpfs "$target/dev/shm"
    echo "check-clean-debian: debootstrap took $(($(date +%s) - step)) s"
}

# A login shell's environment and nothing of this one's: no DISPLAY, no build tree, no caches.
run_in() {
    chroot "$1" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$2"
}

status=0
# Runs $3 in chroot $1, logging to $work/$2.log, and prints the tail.
step() {
    local target=$1 name=$2 command=$3 log="$work/$2.log" began result=0
    echo "check-clean-debian: $name: $command"
    began=$(date +%s)
    run_in "$target" "$command" >"$log" 2>&1 || result=$?
    echo "---- last lines of $name (exit $result, $(($(date +%s) - began)) s; whole log: $log)"
    tail -n 25 "$log"
    echo "----"
    [ "$result" -eq 0 ] || status=1
    return $result
}

unmount_all
mkdir -p "$work"
start=$(date +%s)
make_chroot "$builder"
git clone --quiet --no-hardlinks "$root" "$builder/root/ipcworkshop"
echo "check-clean-debian: cloned $(git -C "$builder/root/ipcworkshop" log -1 --format='%h %s')"

step "$builder" demo "cd /root/ipcworkshop && ./scripts/demo.sh" || true
step "$builder" test "cd /root/ipcworkshop && ./scripts/test.sh" || true

if step "$builder" package "cd /root/ipcworkshop && ./scripts/package.sh"; then
    make_chroot "$installer"
    cp "$builder"/root/ipcworkshop/build/packages/ipcworkshop_*.deb "$installer/root/"
    step "$installer" install-deb "apt-get update -qq && apt-get install -y -qq --no-install-recommends /root/ipcworkshop_*.deb \
        && dpkg-query -W -f='\${Package} \${Version} \${Installed-Size} KiB installed\n' ipcworkshop" || true
    step "$installer" installed-demo "cd /tmp && /usr/bin/ipcworkshop --list-transports \
        && { /usr/bin/ipcworkshop --headless --role receiver --transport localsocket --address deb \
                 --expect 1000 --export received.csv --timeout 60 & sleep 2; \
             /usr/bin/ipcworkshop --headless --role sender --transport localsocket --address deb --generate 1000 \
             && wait \$!; }" || true
fi
echo "check-clean-debian: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - start)) s"
exit $status
