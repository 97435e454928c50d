# Diagnostics: the statistics on hand-made tensors (gtest), and the findings
# on real Fashion-MNIST runs through the CLI (each case well under a minute
# of CPU).
actlab_test(diag_test diag_test.cc)
foreach(case vanishing healthy dead saturation underfitting run_file errors)
  add_test(NAME diagnose_cli_${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/diagnose_cli_test.py $<TARGET_FILE:actlab_cli> ${case})
  set_tests_properties(diagnose_cli_${case} PROPERTIES TIMEOUT 300)
endforeach()
