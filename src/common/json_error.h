// nlohmann::json's exception text, cut to what belongs in a one-line error: its what() starts with
// "[json.exception.parse_error.101] " and a parse error quotes the token it was reading ("last read:
// '...'"), which in a corrupted file can be kilobytes of escaped JSON on one line.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace actlab::detail {

inline std::string json_error_text(const nlohmann::json::exception& e, size_t max_quote = 40) {
  std::string text = e.what();
  if (size_t bracket = text.find("] "); text.starts_with("[json.exception.") && bracket != std::string::npos)
    text.erase(0, bracket + 2);
  const std::string marker = "last read: '";
  const size_t begin = text.find(marker);
  if (begin == std::string::npos) return text;
  const size_t quote = begin + marker.size();
  size_t end = text.find("'; expected", quote);
  if (end == std::string::npos) end = text.rfind('\'');
  if (end == std::string::npos || end < quote || end - quote <= max_quote) return text;
  return text.substr(0, quote + max_quote) + "...(" + std::to_string(end - quote - max_quote) + " more bytes)" +
         text.substr(end);
}

}  // namespace actlab::detail
