# Run figures and reports: the chart builders and the diagnostics read back
# from JSON (gtest), then `actlab train --run-dir`, `actlab plot --run` and
# `actlab report` end to end, the page rendered by headless Chromium.
actlab_test(charts_test charts_test.cc)
foreach(case synthetic fashion_mnist plot_run errors)
  add_test(NAME report_cli_${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/report_cli_test.py $<TARGET_FILE:actlab_cli> ${case})
  set_tests_properties(report_cli_${case} PROPERTIES TIMEOUT 300)
endforeach()
