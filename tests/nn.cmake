# Layers, model, training loop (tests/nn_test.cc).
actlab_test(nn_test nn_test.cc)

# A small network's loss and every gradient against PyTorch on the same
# weights and inputs (float64).
add_executable(nn_parity_driver nn_parity_driver.cc)
target_include_directories(nn_parity_driver PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(nn_parity_driver PRIVATE actlab nlohmann_json::nlohmann_json)
add_test(NAME nn_torch_test
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/nn_torch_test.py $<TARGET_FILE:nn_parity_driver>)
set_tests_properties(nn_torch_test PROPERTIES TIMEOUT 300)
