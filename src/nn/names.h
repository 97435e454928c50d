// Names typed by users (losses, init schemes): case-insensitive, '-' and ' '
// read as '_' (as activation names are).
#pragma once

#include <string>
#include <string_view>

namespace actlab::detail {

inline std::string normalize_name(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c == '-' || c == ' ') c = '_';
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return r;
}

}  // namespace actlab::detail
