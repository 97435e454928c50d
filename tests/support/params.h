// Parameters the table-driven tests use for an entry: the defaults, and for
// required ones (threshold) the value their ParamSpec documents, which the
// table's properties assume.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "actlab/activation.h"

namespace actlab::test {
inline std::vector<std::pair<std::string, double>> TestOverrides(const Spec& s) {
  std::vector<std::pair<std::string, double>> o;
  for (const ParamSpec& p : s.parameters())
    if (p.required) o.emplace_back(std::string(p.name), p.default_value);
  return o;
}
}  // namespace actlab::test
