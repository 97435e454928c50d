// `actlab bench`: the headline speed figures for users (bench/ has the full
// Google Benchmark suite and the PyTorch / oneDNN comparisons).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace actlab::cli {

struct BenchOptions {
  int threads = 0;                 // 0: all cores
  bool json = false;               // one JSON object instead of a table
  std::vector<std::string> names;  // empty: every activation
  double seconds_per_case = 0.05;  // measuring time per (case, size, threads)
  std::string target;              // a forced SIMD target; empty: the automatic choice
};

// Returns the process exit code.
int RunBench(const BenchOptions& options, std::ostream& out);

}  // namespace actlab::cli
