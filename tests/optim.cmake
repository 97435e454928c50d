# Optimizers, schedules and clipping: hand-computed steps, state round trips
# and validation (optim_test); trajectories against torch.optim 1.13
# (optim_torch_test, through optim_driver).
actlab_test(optim_test optim_test.cc)

add_executable(optim_driver optim_driver.cc)
target_link_libraries(optim_driver PRIVATE actlab nlohmann_json::nlohmann_json)
add_test(NAME optim_torch_test
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/optim_torch_test.py $<TARGET_FILE:optim_driver>)
set_tests_properties(optim_torch_test PROPERTIES TIMEOUT 300)
