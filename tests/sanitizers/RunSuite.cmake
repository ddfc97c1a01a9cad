# SPDX-License-Identifier: GPL-3.0-or-later
# cmake -DCTEST=<ctest> -DTREE=<dir> -DREPORTS=<dir> -DJOBS=<n> -DEXCLUDE=<label regex> -P RunSuite.cmake
# Runs the tests of a sanitizer build tree and fails on any sanitizer report. Reports are written
# to files in REPORTS (ASAN_OPTIONS/UBSAN_OPTIONS log_path, tests/sanitizers/CMakeLists.txt), so
# that those of processes a test started, and whose exit status or output it never looks at,
# count too; they are printed here.
#
# One kind is printed but not counted: a leak whose whole allocation stack, past the allocator,
# lies in Qt's libraries. They are built without frame pointers, so ASan's fast unwinder stops in
# the first Qt frame (or goes on to an address in no module) and such a report cannot say who
# asked for the memory; a leak of ours that allocates directly shows our frames and fails the
# suite.
file(REMOVE_RECURSE ${REPORTS})
file(MAKE_DIRECTORY ${REPORTS})
execute_process(COMMAND ${CTEST} --test-dir ${TREE} --output-on-failure --timeout 900 -j ${JOBS} -LE ${EXCLUDE}
    RESULT_VARIABLE failed)

# True in `out` when every frame after #0 of every leak in `text` is in a Qt library, and the text
# holds nothing but leaks.
function(only_qt_internal_leaks text out)
    set(${out} FALSE PARENT_SCOPE)
    if(NOT text MATCHES "ERROR: LeakSanitizer" OR text MATCHES "ERROR: AddressSanitizer|runtime error")
        return()
    endif()
    string(REGEX MATCHALL "#[1-9][0-9]* 0x[0-9a-f]+ [^\n]*" frames "${text}")
    if(NOT frames)
        return()
    endif()
    foreach(frame IN LISTS frames)
        if(NOT frame MATCHES "/libQt6[A-Za-z]*\\.so|<unknown module>")
            return()
        endif()
    endforeach()
    set(${out} TRUE PARENT_SCOPE)
endfunction()

file(GLOB reports ${REPORTS}/*)
set(counted 0)
set(qt_only 0)
foreach(report IN LISTS reports)
    file(READ ${report} text)
    only_qt_internal_leaks("${text}" inside_qt)
    if(inside_qt)
        math(EXPR qt_only "${qt_only} + 1")
        message("---- ${report} (allocated inside Qt, not counted)\n${text}")
    else()
        math(EXPR counted "${counted} + 1")
        message("---- ${report}\n${text}")
    endif()
endforeach()
if(counted GREATER 0)
    message(FATAL_ERROR "The sanitizers reported ${counted} time(s), above.")
endif()
if(failed)
    message(FATAL_ERROR "Tests failed in ${TREE} (above).")
endif()
message("No sanitizer report (${qt_only} leak report(s) from inside Qt, above, not counted).")
