// The audit log of applies (one JSON object per line, appended) and the UTC time stamps the
// migrate commands write into audit lines and file names.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tandem::migrate {

using SystemTime = std::chrono::system_clock::time_point;

// ISO 8601 in UTC with seconds: "2024-05-01T12:00:00Z".
std::string utcIso8601(SystemTime t);
// The same for file names (no colons): "20240501T120000Z".
std::string utcFileStamp(SystemTime t);

// Who applies: `flag` when not empty, else $USER, else "uid N".
std::string operatorName(std::string_view flag);

// Appends line (serialized on one line) and a newline to the file at path, creating it (mode
// 0640) when absent, in one write(2) on an O_APPEND descriptor so that concurrent appenders never
// interleave within a line, then fsyncs it. Error: `audit log PATH: <strerror>`.
Status appendAuditLine(const std::string& path, const nlohmann::ordered_json& line);

}  // namespace tandem::migrate
