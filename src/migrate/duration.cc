// Duration parsing and printing for the migrate commands' flags and progress lines.
#include "migrate/duration.h"

#include <cstdint>
#include <cstdio>

namespace tandem::migrate {

namespace {

constexpr int64_t kMaxMs = int64_t{1000} * 3600 * 1000;

std::string bad(std::string_view text, std::string_view why) {
  return "invalid duration \"" + std::string(text) + "\": " + std::string(why);
}

}  // namespace

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  using R = Result<std::chrono::milliseconds>;
  if (text.empty()) return R::error(bad(text, "empty (expected e.g. 15s, 2m or 4h)"));
  // Units in the only order they may appear, with their size in ms.
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}};
  int64_t total = 0;
  size_t nextUnit = 0;  // index into kUnits: units before it were used or skipped
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      // Beyond 10 digits the total is over the limit anyway; stop before overflowing.
      if (i - start >= 10) return R::error(bad(text, "longer than 1000h"));
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start) {
      return R::error(bad(text, "expected digits, got \"" + std::string(text.substr(i, 1)) + "\""));
    }
    size_t unitStart = i;
    while (i < text.size() && !(text[i] >= '0' && text[i] <= '9')) ++i;
    std::string_view unit = text.substr(unitStart, i - unitStart);
    if (unit.empty()) {
      return R::error(bad(text, "missing unit after " + std::string(text.substr(start, i - start)) +
                                    " (use ms, s, m or h, e.g. 15s)"));
    }
    size_t u = 0;
    while (u < std::size(kUnits) && kUnits[u].name != unit) ++u;
    if (u == std::size(kUnits)) {
      return R::error(bad(text, "unknown unit \"" + std::string(unit) + "\" (use ms, s, m or h)"));
    }
    if (u < nextUnit) {
      return R::error(bad(text, "units must go from largest to smallest, each once"));
    }
    nextUnit = u + 1;
    total += n * kUnits[u].ms;
    if (total > kMaxMs) return R::error(bad(text, "longer than 1000h"));
  }
  return std::chrono::milliseconds(total);
}

std::string formatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms <= 0) return "0s";
  char buf[48];
  if (ms < 10'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    return buf;
  }
  int64_t s = ms / 1000;
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  }
  return buf;
}

}  // namespace tandem::migrate
