# Layers, model, training loop (tests/nn_test.cc).
actlab_test(nn_test nn_test.cc)
