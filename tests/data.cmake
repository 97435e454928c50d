# Datasets: IDX (raw, gzip, every malformed case), the real Fashion-MNIST
# when installed, CSV, synthetic sets, validation split, scalers. The test
# writes its own fixtures (with zlib) into a temporary folder.
actlab_test(data_test data_test.cc)
target_link_libraries(data_test PRIVATE ZLIB::ZLIB)
