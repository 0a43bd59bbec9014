// Logging: spdlog to stderr, set up once at start. Never log per packet at info level.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "core/result.h"

namespace tandem {

// level: trace, debug, info, warn, error, critical, off.
Status initLogging(std::string_view level);

}  // namespace tandem
