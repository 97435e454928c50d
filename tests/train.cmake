# actlab train / evaluate / predict end to end (needs the Python venv with
# safetensors that the python_venv fixture makes).
add_test(NAME train_cli_test
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/train_cli_test.py $<TARGET_FILE:actlab_cli>
                 ${ACTLAB_VENV_PYTHON})
if(ACTLAB_SANITIZE)
  set(actlab_sanitized 1)
else()
  set(actlab_sanitized 0)
endif()
set_tests_properties(train_cli_test PROPERTIES TIMEOUT 900 FIXTURES_REQUIRED python_venv
                     ENVIRONMENT "ACTLAB_SANITIZED=${actlab_sanitized}")

# actlab recommend: the guide and advice from measured findings.
add_test(NAME recommend_cli_test
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/recommend_cli_test.py $<TARGET_FILE:actlab_cli>)

# actlab compare: table, files, errors, and the deep-network phenomena on Fashion-MNIST.
add_test(NAME compare_cli_test
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/compare_cli_test.py $<TARGET_FILE:actlab_cli>)
set_tests_properties(compare_cli_test PROPERTIES TIMEOUT 900)

# docs/json.md against every command's --json: no undocumented field, no
# documented field missing.
add_test(NAME json_fields_test
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/json_fields_test.py $<TARGET_FILE:actlab_cli>
                 ${PROJECT_SOURCE_DIR}/docs/json.md)
set_tests_properties(json_fields_test PROPERTIES TIMEOUT 600)

# What train, evaluate and predict refuse before they start (issue 10): flag
# ranges, --model conflicts, outputs and losses, paths, non-finite checkpoints.
add_test(NAME train_checks_cli_test
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/train_checks_cli_test.py $<TARGET_FILE:actlab_cli>)
set_tests_properties(train_checks_cli_test PROPERTIES TIMEOUT 300)
