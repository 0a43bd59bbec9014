// Test helper: runs `promtool check metrics` (Debian package prometheus) on exposition text.
// Tests call havePromtool() first and GTEST_SKIP when it is missing.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

namespace tandem::control::testing {

inline constexpr const char* kPromtool = "/usr/bin/promtool";
inline constexpr const char* kNoPromtool =
    "/usr/bin/promtool not installed (Debian package prometheus: apt-get install prometheus)";

inline bool havePromtool() { return access(kPromtool, X_OK) == 0; }

// Exit status of `promtool check metrics` on text, and everything it printed.
inline std::pair<int, std::string> promtoolCheck(const std::string& text) {
  char path[] = "/tmp/tandem_prom_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return {-1, "mkstemp failed"};
  close(fd);
  std::ofstream(path) << text;
  std::string cmd = std::string(kPromtool) + " check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p != nullptr && fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  int status = p == nullptr ? -1 : pclose(p);
  unlink(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace tandem::control::testing
