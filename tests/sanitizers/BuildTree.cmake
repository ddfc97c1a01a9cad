# SPDX-License-Identifier: GPL-3.0-or-later
# cmake -DSOURCE=<dir> -DTREE=<dir> -DSANITIZE=<list> -DCOMPILER=<c++> -DJOBS=<n>
#       [-DLAUNCHER=<ccache>] [-DTARGETS=<a,b>] -P BuildTree.cmake
# Configures and builds one sanitizer build tree (tests/sanitizers/CMakeLists.txt); stops with
# the compiler's own output when either step fails.
set(configure ${CMAKE_COMMAND} -S ${SOURCE} -B ${TREE} -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DCMAKE_CXX_COMPILER=${COMPILER} -DIPCW_SANITIZE=${SANITIZE} -DIPCW_SANITIZER_TESTS=OFF)
if(LAUNCHER)
    list(APPEND configure -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
execute_process(COMMAND ${configure} OUTPUT_QUIET RESULT_VARIABLE failed)
if(failed)
    message(FATAL_ERROR "Configuring the ${SANITIZE} build tree in ${TREE} failed (see above).")
endif()
set(build ${CMAKE_COMMAND} --build ${TREE} --parallel ${JOBS})
if(TARGETS)
    string(REPLACE "," ";" TARGETS "${TARGETS}")
    list(APPEND build --target ${TARGETS})
endif()
execute_process(COMMAND ${build} RESULT_VARIABLE failed)
if(failed)
    message(FATAL_ERROR "Building the ${SANITIZE} build tree in ${TREE} failed (see above).")
endif()
