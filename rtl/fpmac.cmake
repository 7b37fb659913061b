# The FP16 x FP16 -> FP32 MAC (rtl/systolic/fp16_fp32_mac.v), verified on its own: a plain
# --cc Verilated model driven in lockstep with fp_mac_fp16_fp32() (models/numerics/fp_mac.hpp),
# plus lint and yosys synthesis checks. Included from the end of rtl/CMakeLists.txt; it does
# not touch the systolic-array variant machinery above. All tests carry the label "unit".
include(GoogleTest)

set(FPMAC_RTL ${CMAKE_CURRENT_SOURCE_DIR}/systolic/fp16_fp32_mac.v)

# The Verilated model in its own static library (same pattern as the array variants: the
# Verilator runtime comes from tpesim_verilated, linked INTERFACE so that the Verilator custom
# command does not wait for other libraries to compile).
add_library(tpesim_fpmac_rtl_model STATIC)  # sources: the Verilated model, added by verilate()
verilate(tpesim_fpmac_rtl_model
  PREFIX Vfp16_fp32_mac
  TOP_MODULE fp16_fp32_mac
  SOURCES ${FPMAC_RTL}
  VERILATOR_ARGS --no-timing -Wno-fatal -O3 -x-assign fast -x-initial fast
                 ${TPESIM_RTL_SAFETY_ARGS})
tpesim_strip_verilator_runtime(tpesim_fpmac_rtl_model)
target_compile_options(tpesim_fpmac_rtl_model PRIVATE ${VERILATOR_CFLAGS} -Wno-unused
                                                      -Wno-sign-compare)
target_link_libraries(tpesim_fpmac_rtl_model INTERFACE tpesim_verilated)

# Lockstep test: RTL == fp_mac_fp16_fp32 bit for bit.
add_executable(tpesim_fpmac_rtl_test ${CMAKE_CURRENT_SOURCE_DIR}/fpmac_test/test_fpmac_rtl.cpp)
target_include_directories(tpesim_fpmac_rtl_test PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(tpesim_fpmac_rtl_test PRIVATE tpesim_fpmac_rtl_model tpesim_numerics
                                                    GTest::gtest GTest::gtest_main)
gtest_discover_tests(tpesim_fpmac_rtl_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)

# Lint (Verilator -Wall) and synthesis (yosys: no warnings, no latches, check -assert).
add_test(NAME rtl_lint_fpmac
         COMMAND ${VERILATOR_EXE} --lint-only -Wall --no-timing --top-module fp16_fp32_mac
                 ${FPMAC_RTL})
set_tests_properties(rtl_lint_fpmac PROPERTIES LABELS unit TIMEOUT 60)
if(YOSYS_EXE)
  set(_fpmac_log ${CMAKE_CURRENT_BINARY_DIR}/fpmac_synth.log)
  add_test(NAME rtl_synth_fpmac
           COMMAND sh -c "set -e
             ${YOSYS_EXE} -q -l ${_fpmac_log} -p 'read_verilog ${FPMAC_RTL}; synth -top fp16_fp32_mac; check -assert; select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH* t:\$sr t:\$_SR_*; stat'
             if grep -q 'Latch inferred' ${_fpmac_log}; then echo 'latch inferred' >&2; exit 1; fi
             if grep -qi '^Warning:' ${_fpmac_log}; then grep -i '^Warning:' ${_fpmac_log} >&2; exit 1; fi
             grep 'Number of cells' ${_fpmac_log} | tail -n 1")
  set_tests_properties(rtl_synth_fpmac PROPERTIES LABELS unit TIMEOUT 120)
endif()
