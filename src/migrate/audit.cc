// Audit lines and UTC stamps.
#include "migrate/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace tandem::migrate {

namespace {

std::string formatUtc(SystemTime t, const char* format) {
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace

std::string utcIso8601(SystemTime t) { return formatUtc(t, "%Y-%m-%dT%H:%M:%SZ"); }

std::string utcFileStamp(SystemTime t) { return formatUtc(t, "%Y%m%dT%H%M%SZ"); }

std::string operatorName(std::string_view flag) {
  if (!flag.empty()) return std::string(flag);
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  return "uid " + std::to_string(getuid());
}

Status appendAuditLine(const std::string& path, const nlohmann::ordered_json& line) {
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Status::error("audit log " + path + ": " + std::strerror(errno));
  ssize_t n = ::write(fd, text.data(), text.size());
  int writeErrno = errno;
  bool synced = ::fsync(fd) == 0;
  int syncErrno = errno;
  ::close(fd);
  if (n < 0) return Status::error("audit log " + path + ": " + std::strerror(writeErrno));
  if (static_cast<size_t>(n) != text.size()) {
    return Status::error("audit log " + path + ": short write (disk full?)");
  }
  if (!synced) return Status::error("audit log " + path + ": " + std::strerror(syncErrno));
  return Status::ok();
}

}  // namespace tandem::migrate
