# Plotting: nice ticks and labels, every format written and read back (PNG
# pixels through cairo), bad data and bad paths; then `actlab plot` end to end.
actlab_test(plot_test plot_test.cc)
target_link_libraries(plot_test PRIVATE PkgConfig::CAIRO)
add_test(NAME plot_cli_test COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/plot_cli_test.py $<TARGET_FILE:actlab_cli>)
set_tests_properties(plot_cli_test PROPERTIES TIMEOUT 300)
