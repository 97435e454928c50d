# Losses and weight initialisation (src/nn/loss.cc, src/nn/init.cc).
actlab_test(loss_test loss_test.cc)
actlab_test(init_test init_test.cc)

# JSON in, JSON out: actlab's losses and gains for loss_torch_test.py.
add_executable(loss_driver loss_driver.cc)
target_include_directories(loss_driver PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(loss_driver PRIVATE actlab nlohmann_json::nlohmann_json)
# Loss values and gradients, and calculate_gain, against PyTorch (float64).
add_test(NAME loss_torch_test COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/loss_torch_test.py
                                      $<TARGET_FILE:loss_driver>)
set_tests_properties(loss_torch_test PROPERTIES TIMEOUT 300)
