#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Tries the README as a new user would: a minimal Debian 12 (debootstrap --variant=minbase
# bookworm) with nothing else installed, a clone of the current commit, and the README's two
# commands run there, each followed by the tail of what it printed. A package missing from
# scripts/install-deps.sh fails here even when this machine has it installed by hand.
#
# Usage (as root): scripts/check-clean-debian.sh [work folder]    (default /var/tmp/ipcw-clean-debian)
# Slow (10 to 20 minutes on two cores), so not part of .ci/run; run it before resolving a change
# to the dependencies, the build or the scripts. Only committed work is tried: the clone takes HEAD.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/var/tmp/ipcw-clean-debian}"
target="$work/bookworm"
mirror="${IPCW_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

[ "$(id -u)" -eq 0 ] || { echo "check-clean-debian: run as root (debootstrap and chroot need it)." >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "check-clean-debian: needs debootstrap: apt-get install debootstrap" >&2; exit 1; }
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
    echo "check-clean-debian: note: uncommitted changes are not tried, only HEAD $(git -C "$root" rev-parse --short HEAD)."
fi

mounts=(proc sys dev dev/pts dev/shm)
unmount_all() {
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        mountpoint -q "$target/${mounts[i]}" && umount -l "$target/${mounts[i]}"
    done
    return 0
}
trap unmount_all EXIT

unmount_all
rm -rf "$target"
mkdir -p "$work"
start=$(date +%s)
echo "check-clean-debian: debootstrap --variant=minbase bookworm into $target"
debootstrap --variant=minbase bookworm "$target" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log"; exit 1; }
# As a fresh installation has them: the release, its updates and its security fixes.
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
echo "check-clean-debian: debootstrap took $(($(date +%s) - start)) s"

git clone --quiet --no-hardlinks "$root" "$target/root/ipcworkshop"
echo "check-clean-debian: cloned $(git -C "$target/root/ipcworkshop" log -1 --format='%h %s')"

# A login shell's environment and nothing of this one's: no DISPLAY, no build tree, no caches.
run_in_chroot() {
    chroot "$target" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /root/ipcworkshop && $1"
}

status=0
for command in ./scripts/demo.sh ./scripts/test.sh; do
    log="$work/$(basename "$command" .sh).log"
    echo "check-clean-debian: running $command"
    step=$(date +%s)
    result=0
    run_in_chroot "$command" >"$log" 2>&1 || result=$?
    echo "---- last lines of $command (exit $result, $(($(date +%s) - step)) s; whole log: $log)"
    tail -n 25 "$log"
    echo "----"
    [ "$result" -eq 0 ] || status=1
done
echo "check-clean-debian: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - start)) s"
exit $status
