// stderr logger with a compact pattern that journald and humans both read well.
#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

namespace tandem {

Status initLogging(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Status::error("unknown log level \"" + std::string(level) +
                         "\" (trace, debug, info, warn, error, critical, off)");
  }
  spdlog::drop("tandem");
  auto logger = spdlog::stderr_logger_st("tandem");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return Status::ok();
}

}  // namespace tandem
