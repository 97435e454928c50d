# safetensors: the reader/writer in C++ (corruption, truncation, atomicity),
# then interop with Python's own safetensors package.
actlab_test(safetensors_test safetensors_test.cc)

# write/read/copy files for the Python side.
add_executable(safetensors_tool safetensors_tool.cc)
target_link_libraries(safetensors_tool PRIVATE actlab nlohmann_json::nlohmann_json)

# Fixture `python_venv`: ${CMAKE_BINARY_DIR}/venv, Debian's /usr/bin/python3
# with its system packages (numpy, torch) plus PyPI packages that are missing.
# Other modules' tests use it with FIXTURES_REQUIRED python_venv and run
# ${ACTLAB_VENV_PYTHON}; a package they need goes in ACTLAB_VENV_PACKAGES
# as MODULE or MODULE=PIP_SPEC.
set(ACTLAB_VENV_DIR ${CMAKE_BINARY_DIR}/venv)
set(ACTLAB_VENV_PYTHON ${ACTLAB_VENV_DIR}/bin/python)
set(ACTLAB_VENV_PACKAGES safetensors)
add_test(NAME python_venv_setup
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/python_venv.sh ${ACTLAB_VENV_DIR} ${ACTLAB_VENV_PACKAGES})
set_tests_properties(python_venv_setup PROPERTIES FIXTURES_SETUP python_venv TIMEOUT 600)

add_test(NAME safetensors_python_test
         COMMAND ${ACTLAB_VENV_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/safetensors_python_test.py $<TARGET_FILE:safetensors_tool>)
set_tests_properties(safetensors_python_test PROPERTIES FIXTURES_REQUIRED python_venv TIMEOUT 300)
