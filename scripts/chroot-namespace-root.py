#!/usr/bin/env python3
"""Runs COMMAND in a new mount namespace whose root is the caller's chroot.

Inside a chroot "/" is a directory, not the root of the mount namespace. runc pivots a
container's root onto the caller's root, but `runc exec` (which exec probes and `kubectl exec`
use) enters a container by joining its mount namespace and lands on that namespace's root: the
host's "/", not the container's. scripts/cluster.sh therefore starts containerd through this
program when it runs in a chroot: here the chroot's tree is moved onto the namespace's root with
pivot_root(2), so that the two roots agree for every container that containerd starts.

Mounts in the new namespace are slaves of the caller's: the volumes the kubelet mounts later
still arrive, and nothing made here leaks back.

Usage (as root, from inside the chroot): chroot-namespace-root.py COMMAND [ARG...]
"""
import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SLAVE = 0x80000
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}

libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    machine = os.uname().machine
    if machine not in SYS_PIVOT_ROOT:
        print(f"chroot-namespace-root: unsupported architecture {machine}", file=sys.stderr)
        return 1
    # The chroot's own directory, named before leaving it; its host path is read after.
    chroot_fd = os.open("/", os.O_PATH | os.O_DIRECTORY)
    # Joining one's own mount namespace sets the root to the namespace's root.
    ns_fd = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    check(libc.setns(ns_fd, CLONE_NEWNS), "setns")
    host_path = os.readlink(f"/proc/self/fd/{chroot_fd}")
    os.close(chroot_fd)
    os.close(ns_fd)
    check(libc.unshare(CLONE_NEWNS), "unshare")
    check(libc.mount(None, b"/", None, MS_REC | MS_SLAVE, None), "make / a slave")
    path = os.fsencode(host_path)
    check(libc.mount(path, path, None, MS_BIND | MS_REC, None), "bind the chroot")
    os.chdir(host_path)
    # pivot_root(".", "."): the chroot's tree becomes the root, the old root is stacked above it
    # and then detached.
    check(libc.syscall(SYS_PIVOT_ROOT[machine], b".", b"."), "pivot_root")
    check(libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    os.execvp(argv[1], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
