// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Where POSIX backends put their named objects so that two users on one machine never meet:
// files (FIFOs, sockets) in a per-user runtime folder of mode 0700, and names in the global
// namespaces of shm_open/mq_open prefixed with the user's uid. Qt-free, header-only.

#if !defined(_WIN32)

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace ipcw::native {

// "$XDG_RUNTIME_DIR/ipcworkshop" (or "/tmp/ipcworkshop-<uid>"), created 0700 and checked to be
// ours and private. Returns "" and sets `error` to a sentence when that cannot be ensured.
inline std::string userRuntimeDir(std::string *error)
{
    const char *xdg = std::getenv("XDG_RUNTIME_DIR");
    const std::string dir = (xdg && *xdg) ? std::string(xdg) + "/ipcworkshop"
                                          : "/tmp/ipcworkshop-" + std::to_string(getuid());
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        *error = "Cannot create the private folder " + dir + ": " + std::strerror(errno) + ".";
        return {};
    }
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
        *error = "The folder " + dir + " is not a directory owned by you; refusing to use it.";
        return {};
    }
    if ((st.st_mode & 0077) != 0 && chmod(dir.c_str(), 0700) != 0) {
        *error = "The folder " + dir + " is readable by others and could not be made private.";
        return {};
    }
    return dir;
}

// "/ipcworkshop-<uid>-<name>": a name for shm_open()/mq_open() that is the user's own.
inline std::string userScopedObjectName(const std::string &name)
{
    return "/ipcworkshop-" + std::to_string(getuid()) + "-" + name;
}

} // namespace ipcw::native

#endif
