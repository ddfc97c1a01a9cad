# SPDX-License-Identifier: GPL-3.0-or-later
# The plugin SDK as a CMake package: `find_package(IpcWorkshop 0.2 REQUIRED)` in an out-of-tree
# plugin gives IpcWorkshop::Core and ipcworkshop_add_transport_plugin(). Installed with the
# headers of core/transport (component "sdk", the ipcworkshop-dev package).
include(CMakePackageConfigHelpers)
set(ipcw_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/IpcWorkshop)

install(EXPORT IpcWorkshopTargets NAMESPACE IpcWorkshop:: DESTINATION ${ipcw_cmake_dir} COMPONENT sdk)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/IpcWorkshopConfig.cmake.in
    ${CMAKE_BINARY_DIR}/IpcWorkshopConfig.cmake INSTALL_DESTINATION ${ipcw_cmake_dir})
# 0.x releases change the transport API between minor versions; the API check in the plugin
# function and in the plugin manager catches that, so SameMajorVersion is enough here.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/IpcWorkshopConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/IpcWorkshopConfig.cmake ${CMAKE_BINARY_DIR}/IpcWorkshopConfigVersion.cmake
    ${CMAKE_CURRENT_LIST_DIR}/IpcWorkshopPlugin.cmake
    DESTINATION ${ipcw_cmake_dir} COMPONENT sdk)
