# Installs the built actlab into a scratch prefix, then configures, builds and
# runs tests/consumer against it with find_package(actlab).
# Inputs: -DBUILD_DIR= -DSOURCE_DIR= -DWORK_DIR=
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build -G Ninja
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed: ${rc}")
endif()
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer failed: ${rc}")
endif()

# The installed program must start from the prefix on its own (its RPATH points at the installed
# library), with the build tree's library out of reach: run it with an empty LD_LIBRARY_PATH.
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH ${WORK_DIR}/prefix/bin/actlab info
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "the installed actlab does not start (${rc}): ${err}")
endif()
execute_process(COMMAND ldd ${WORK_DIR}/prefix/bin/actlab OUTPUT_VARIABLE ldd_out)
string(REGEX MATCH "libactlab[^\n]*" libactlab_line "${ldd_out}")
if(NOT libactlab_line MATCHES "${WORK_DIR}/prefix/")
  message(FATAL_ERROR "the installed actlab loads '${libactlab_line}', not the library of its own prefix")
endif()
execute_process(COMMAND sh -c "echo '-1 0 2' | '${WORK_DIR}/prefix/bin/actlab' eval gelu"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc OR NOT out MATCHES "-0.158655")
  message(FATAL_ERROR "the installed 'actlab eval gelu' failed (${rc}): ${out}${err}")
endif()
message(STATUS "installed actlab: ${libactlab_line}; eval gelu: ${out}")
