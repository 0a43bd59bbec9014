// Durations as operators type them on the command line ("15s", "2m", "4h", "1h30m", "500ms") and
// as progress lines print them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tandem::migrate {

// One or more <digits><unit> groups, units ms, s, m, h (lowercase), largest first, each at most
// once: "15s", "2m", "4h", "1h30m", "1m30s", "250ms". At most 1000 hours in total. "0s" is 0.
// Errors name the text: `invalid duration "15": missing unit after 15 (use ms, s, m or h, e.g.
// 15s)`, `invalid duration "5d": unknown unit "d" (use ms, s, m or h)`, `invalid duration "":
// empty (expected e.g. 15s, 2m or 4h)`, `invalid duration "-1s": expected digits, got "-"`,
// `invalid duration "1s2h": units must go from largest to smallest, each once`,
// `invalid duration "9999h": longer than 1000h`.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

// "0s", "45s", "2m05s", "4h00m", "1h02m"; below 10 s with a tenth ("3.5s"), below 1 s "0.4s".
// Negative durations print as "0s".
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace tandem::migrate
