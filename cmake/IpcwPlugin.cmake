# ipcw_add_transport_plugin(<target> CLASS_NAME <class> SOURCES <files...> [LIBRARIES <libs...>])
# One call per plugin folder: builds a Qt plugin linked to ipcwcore into build/bin/plugins
# and installs it where the plugin manager looks for it.
function(ipcw_add_transport_plugin target)
    cmake_parse_arguments(ARG "" "CLASS_NAME" "SOURCES;LIBRARIES" ${ARGN})
    qt_add_plugin(${target} CLASS_NAME ${ARG_CLASS_NAME})
    target_sources(${target} PRIVATE ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE ipcwcore ${ARG_LIBRARIES})
    set_target_properties(${target} PROPERTIES
        LIBRARY_OUTPUT_DIRECTORY ${IPCW_PLUGIN_OUTPUT_DIR}
        CXX_VISIBILITY_PRESET hidden)
    install(TARGETS ${target} LIBRARY DESTINATION ${IPCW_INSTALL_PLUGIN_DIR})
    set_property(GLOBAL APPEND PROPERTY IPCW_TRANSPORT_PLUGINS ${target})
endfunction()

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
