# SPDX-License-Identifier: GPL-3.0-or-later
# Two Debian packages from one build (scripts/package.sh runs `cpack -G DEB`):
#   ipcworkshop      the program, its plugins, the core library, desktop file, metadata, icon
#   ipcworkshop-dev  the plugin SDK: headers, the CMake package, the library's link name
# Runtime dependencies come from dpkg-shlibdeps (package dpkg-dev) reading the binaries; only
# what the binaries load by name at run time is added by hand.
set(CPACK_PACKAGE_NAME ipcworkshop)
set(CPACK_PACKAGE_VENDOR "The IPC Workshop developers")
set(CPACK_PACKAGE_CONTACT "The IPC Workshop developers <ipcworkshop@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
# The build keeps debug information (RelWithDebInfo); the packages do not need it.
set(CPACK_STRIP_FILES TRUE)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime sdk)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/ipcworkshop/ipcworkshop")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ipcworkshop)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "See, measure and compare inter-process communication
 Moves employee records between two running copies of itself over TCP, local sockets, named
 pipes, message queues, shared memory or the clipboard, and measures and explains how each
 mechanism behaves. Each mechanism is a plugin.")
# Loaded by Qt at run time, so dpkg-shlibdeps cannot see them: the xcb/offscreen platform
# plugins (the SVG icon engine comes with libqt6svg6, which the program links).
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "qt6-qpa-plugins")

set(CPACK_DEBIAN_SDK_PACKAGE_NAME ipcworkshop-dev)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_SDK_DESCRIPTION "Plugin SDK for IPC Workshop transports
 Headers, the IpcWorkshop CMake package and ipcworkshop_add_transport_plugin(), to build a new
 inter-process communication mechanism as a plugin outside the IPC Workshop source tree.")
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS "ipcworkshop (= ${PROJECT_VERSION}), qt6-base-dev (>= ${IPCW_QT_MIN_VERSION}), cmake")
set(CPACK_DEBIAN_SDK_PACKAGE_SHLIBDEPS OFF)  # headers and CMake files only

include(CPack)
