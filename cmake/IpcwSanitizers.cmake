# SPDX-License-Identifier: GPL-3.0-or-later
# IPCW_SANITIZE=address,undefined (or thread) builds everything of this tree with those
# sanitizers. It is meant for a build tree of its own: tests/sanitizers makes and runs one from
# the normal tree, so `ctest -L asan` and `ctest -L tsan` need nothing set up by hand. gcc's
# sanitizer runtimes come with g++ itself, so no package beyond the normal build is needed.
set(IPCW_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined or thread (empty: none)")
if(IPCW_SANITIZE)
    # Every error stops the program (UBSan would otherwise print and go on, and a test would pass).
    set(ipcw_sanitize_flags -fsanitize=${IPCW_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_compile_options(${ipcw_sanitize_flags})
    add_link_options(${ipcw_sanitize_flags})
    message(STATUS "Building with -fsanitize=${IPCW_SANITIZE}")
endif()
