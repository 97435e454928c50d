// The message of the actlab::Error that f() throws, or "(no error)": tests
// check what a user would read.
#pragma once

#include <string>

#include "actlab/activation.h"

namespace actlab::test {

inline std::string ErrorOf(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace actlab::test
