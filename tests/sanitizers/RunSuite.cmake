# SPDX-License-Identifier: GPL-3.0-or-later
# cmake -DCTEST=<ctest> -DTREE=<dir> -DREPORTS=<dir> -DJOBS=<n> -DEXCLUDE=<label regex> -P RunSuite.cmake
# Runs the tests of a sanitizer build tree and fails on any sanitizer report. Reports are written
# to files in REPORTS (ASAN_OPTIONS/UBSAN_OPTIONS log_path, tests/sanitizers/CMakeLists.txt), so
# that those of processes a test started, and whose exit status or output it never looks at,
# count too; they are printed here.
file(REMOVE_RECURSE ${REPORTS})
file(MAKE_DIRECTORY ${REPORTS})
execute_process(COMMAND ${CTEST} --test-dir ${TREE} --output-on-failure --timeout 900 -j ${JOBS} -LE ${EXCLUDE}
    RESULT_VARIABLE failed)
file(GLOB reports ${REPORTS}/*)
foreach(report IN LISTS reports)
    file(READ ${report} text)
    message("---- ${report}\n${text}")
endforeach()
list(LENGTH reports count)
if(count GREATER 0)
    message(FATAL_ERROR "The sanitizers reported ${count} time(s), above.")
endif()
if(failed)
    message(FATAL_ERROR "Tests failed in ${TREE} (above).")
endif()
message("No sanitizer report.")
