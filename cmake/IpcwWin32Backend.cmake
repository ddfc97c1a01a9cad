# SPDX-License-Identifier: GPL-3.0-or-later
# ipcw_win32_backend_sources(<id> <files...>)
# Qt-free sources the Win32 backend of <id> needs besides <id>_win32.cpp (for example a ring
# shared with the POSIX backend). The Wine test driver compiles them with mingw-w64 too.
function(ipcw_win32_backend_sources id)
    set(files)
    foreach(file IN LISTS ARGN)
        list(APPEND files ${CMAKE_CURRENT_SOURCE_DIR}/${file})
    endforeach()
    set_property(GLOBAL PROPERTY IPCW_WIN32_SOURCES_${id} ${files})
endfunction()
