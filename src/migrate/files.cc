// Whole-file read, create-only write and atomic replace.
#include "migrate/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tandem::migrate {

namespace {

// Writes all of text to fd. Returns 0 or an errno.
int writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

}  // namespace

Result<std::string> readWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Result<std::string>::error("cannot read " + path + ": " + std::strerror(errno));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return Result<std::string>::error("cannot read " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status createNewFile(const std::string& path, std::string_view text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::error("cannot create " + path + ": " + std::strerror(errno));
  int e = writeAll(fd, text);
  if (e == 0 && ::fsync(fd) != 0) e = errno;
  ::close(fd);
  if (e != 0) {
    ::unlink(path.c_str());
    return Status::error("cannot create " + path + ": " + std::strerror(e));
  }
  return Status::ok();
}

Status replaceFile(const std::string& path, std::string_view text, mode_t mode, uid_t uid,
                   gid_t gid) {
  std::error_code ec;
  std::string target = path;
  if (std::filesystem::is_symlink(path, ec)) {
    auto resolved = std::filesystem::canonical(path, ec);
    if (ec) return Status::error("cannot write " + path + ": " + ec.message());
    target = resolved.string();
  }
  std::string tmp = target + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::error("cannot write " + path + ": " + std::strerror(errno));
  // Kamailio may run as another user: keep the file's owner when we may (as root); otherwise the
  // file becomes ours, still with the original mode, which is what matters to its reader.
  if (::fchown(fd, uid, gid) != 0) {
  }
  // The umask narrowed open()'s mode; the file must keep the one it had.
  int e = ::fchmod(fd, mode) == 0 ? 0 : errno;
  if (e == 0) e = writeAll(fd, text);
  if (e == 0 && ::fsync(fd) != 0) e = errno;
  ::close(fd);
  if (e == 0 && ::rename(tmp.c_str(), target.c_str()) != 0) e = errno;
  if (e != 0) {
    ::unlink(tmp.c_str());
    return Status::error("cannot write " + path + ": " + std::strerror(e));
  }
  return Status::ok();
}

}  // namespace tandem::migrate
