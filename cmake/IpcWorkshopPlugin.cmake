# SPDX-License-Identifier: GPL-3.0-or-later
# ipcworkshop_add_transport_plugin(<target> CLASS_NAME <class> SOURCES <files...> [LIBRARIES <libs...>])
#
# Builds one IPC Workshop transport plugin: a Qt plugin module linked to IpcWorkshop::Core, the
# only library a plugin needs. The same function builds the plugins of this repository and,
# installed with the SDK (find_package(IpcWorkshop)), anyone else's. SOURCES must list the
# plugin's JSON metadata; its "apiVersion" is checked here against the SDK's transport API, so a
# mismatch fails at configure time with a sentence rather than at load time.
#
# Where the module goes:
#   IPCWORKSHOP_PLUGIN_OUTPUT_DIR   build folder for the module (default: CMake's own)
#   IPCWORKSHOP_PLUGIN_INSTALL_DIR  `cmake --install` destination, relative to the prefix
#                                   (default: IpcWorkshop_PLUGIN_INSTALL_DIR, the folder where
#                                   the program installed with the SDK looks, e.g.
#                                   lib/ipcworkshop/plugins)
include_guard(GLOBAL)
include(GNUInstallDirs)

function(ipcworkshop_add_transport_plugin target)
    cmake_parse_arguments(ARG "" "CLASS_NAME" "SOURCES;LIBRARIES" ${ARGN})
    if(NOT ARG_CLASS_NAME OR NOT ARG_SOURCES)
        message(FATAL_ERROR "ipcworkshop_add_transport_plugin(${target}): CLASS_NAME and SOURCES are required.")
    endif()
    if(NOT TARGET IpcWorkshop::Core)
        message(FATAL_ERROR "ipcworkshop_add_transport_plugin(${target}): call find_package(IpcWorkshop) first.")
    endif()

    set(json_files ${ARG_SOURCES})
    list(FILTER json_files INCLUDE REGEX "\\.json$")
    if(NOT json_files)
        message(FATAL_ERROR "ipcworkshop_add_transport_plugin(${target}): SOURCES lists no .json metadata file "
                            "(the file Q_PLUGIN_METADATA names; see docs/plugin-sdk.md).")
    endif()
    foreach(json IN LISTS json_files)
        get_filename_component(json_path ${json} ABSOLUTE)
        file(READ ${json_path} json_text)
        string(JSON api ERROR_VARIABLE json_error GET "${json_text}" apiVersion)
        if(json_error)
            message(FATAL_ERROR "${json}: no \"apiVersion\" (${json_error}). "
                                "This SDK builds plugins for transport API ${IpcWorkshop_TRANSPORT_API_VERSION}.")
        elseif(NOT api EQUAL IpcWorkshop_TRANSPORT_API_VERSION)
            message(FATAL_ERROR "${json}: \"apiVersion\": ${api}, but this SDK builds plugins for transport API "
                                "${IpcWorkshop_TRANSPORT_API_VERSION}. Port the plugin and set \"apiVersion\": "
                                "${IpcWorkshop_TRANSPORT_API_VERSION}.")
        endif()
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${json_path})
    endforeach()

    qt_add_plugin(${target} CLASS_NAME ${ARG_CLASS_NAME})
    target_sources(${target} PRIVATE ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE IpcWorkshop::Core ${ARG_LIBRARIES})
    set_target_properties(${target} PROPERTIES AUTOMOC ON CXX_VISIBILITY_PRESET hidden)
    if(IPCWORKSHOP_PLUGIN_OUTPUT_DIR)
        set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${IPCWORKSHOP_PLUGIN_OUTPUT_DIR})
    endif()
    if(NOT IPCWORKSHOP_PLUGIN_INSTALL_DIR)
        set(IPCWORKSHOP_PLUGIN_INSTALL_DIR ${IpcWorkshop_PLUGIN_INSTALL_DIR})
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION ${IPCWORKSHOP_PLUGIN_INSTALL_DIR} COMPONENT runtime)
endfunction()
