# Runs tpesim and compares its report.json with the golden file.
# The trace is named relative to its folder so the report does not depend on the checkout path.
get_filename_component(trace_dir ${TRACE} DIRECTORY)
get_filename_component(trace_name ${TRACE} NAME)
execute_process(COMMAND ${TPESIM} run --engine ${ENGINE} --arch ${ARCH} --workload ${trace_name} --out ${OUT} --quiet
                WORKING_DIRECTORY ${trace_dir} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tpesim run failed with status ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/report.json ${GOLDEN}
                RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "report differs from golden ${GOLDEN}; inspect: diff ${GOLDEN} ${OUT}/report.json "
                      "(regenerate with tools/regen_goldens.sh if the change is intended)")
endif()
