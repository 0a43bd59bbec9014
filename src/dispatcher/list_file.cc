// Reader for Kamailio's dispatcher.list format. Load-time only: it allocates freely and reports
// the first error with its file and line, so an operator can fix the file before traffic moves.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dispatcher/dispatcher.h"
#include "dispatcher/text.h"

namespace tandem::dispatcher {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Returns the next blank-separated field of rest and consumes it; empty when none is left.
std::string_view nextField(std::string_view& rest) {
  size_t i = 0;
  while (i < rest.size() && isBlank(rest[i])) ++i;
  size_t j = i;
  while (j < rest.size() && !isBlank(rest[j])) ++j;
  std::string_view field = rest.substr(i, j - i);
  rest.remove_prefix(j);
  return field;
}

template <typename T>
std::optional<T> parseInteger(std::string_view text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out += '"';
  return out;
}

// Kamailio's parse_params accepts quoted values; the quotes are not part of the value.
std::string_view unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

// Parses "k=v;k2=v2" into attrs. Returns the reason on failure, empty on success.
std::string parseAttrsInto(std::string_view text, Attrs& attrs) {
  if (!text.empty() && text.back() == ';') text.remove_suffix(1);
  attrs.raw = std::string(text);
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view item = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    if (item.empty()) continue;  // "a=1;;b=2": tolerated like Kamailio
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : unquote(item.substr(eq + 1));
    if (key.empty()) return "attribute without a name in " + quoted(text);
    attrs.items.emplace_back(std::string(key), std::string(value));

    if (equalsIgnoreCase(key, "weight") || equalsIgnoreCase(key, "rweight")) {
      auto n = parseInteger<uint32_t>(value);
      if (!n || *n < 1 || *n > 100) {
        return std::string(key) + " must be an integer from 1 to 100, got " + quoted(value);
      }
      (equalsIgnoreCase(key, "weight") ? attrs.weight : attrs.rweight) = *n;
    } else if (equalsIgnoreCase(key, "maxload")) {
      auto n = parseInteger<uint32_t>(value);
      if (!n) return "maxload must be a non-negative integer, got " + quoted(value);
      attrs.maxload = *n;
    } else if (equalsIgnoreCase(key, "duid")) {
      attrs.duid = std::string(value);
    } else if (equalsIgnoreCase(key, "socket")) {
      attrs.socket = std::string(value);
    } else if (equalsIgnoreCase(key, "ping_from")) {
      attrs.pingFrom = std::string(value);
    }
  }
  return {};
}

// Parses one line that holds a destination. Returns the reason on failure, empty on success.
std::string parseLine(std::string_view rest, Destination& dest) {
  std::string_view setId = nextField(rest);
  auto id = parseInteger<uint32_t>(setId);
  if (!id || *id == 0) return "setid must be a positive integer, got " + quoted(setId);
  dest.setId = *id;

  std::string_view uri = nextField(rest);
  if (uri.empty()) return "missing destination after setid " + std::to_string(*id);
  dest.uri = std::string(uri);

  if (std::string_view flags = nextField(rest); !flags.empty()) {
    auto f = parseInteger<uint32_t>(flags);
    if (!f || *f > kFlagsAll) {
      return "flags must be an integer from 0 to " + std::to_string(kFlagsAll) + ", got " +
             quoted(flags);
    }
    dest.flags = *f;
  }
  if (std::string_view priority = nextField(rest); !priority.empty()) {
    auto p = parseInteger<int32_t>(priority);
    if (!p) return "priority must be an integer, got " + quoted(priority);
    dest.priority = *p;
  }
  if (std::string_view attrs = nextField(rest); !attrs.empty()) {
    if (std::string why = parseAttrsInto(attrs, dest.attrs); !why.empty()) return why;
  }
  if (std::string_view extra = nextField(rest); !extra.empty()) {
    return "unexpected field after attrs: " + quoted(extra);
  }
  dest.state = stateFromFlags(dest.flags);
  dest.health = healthFromFlags(dest.flags);
  dest.probeFlag = (dest.flags & kFlagProbing) != 0;
  return {};
}

}  // namespace

std::optional<std::string_view> Attrs::find(std::string_view key) const {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (equalsIgnoreCase(it->first, key)) return std::string_view(it->second);
  }
  return std::nullopt;
}

Result<Attrs> parseAttrs(std::string_view text) {
  Attrs attrs;
  if (std::string why = parseAttrsInto(text, attrs); !why.empty()) {
    return Result<Attrs>::error(std::move(why));
  }
  return attrs;
}

Result<std::vector<Destination>> parseList(std::string_view text, std::string_view fileName) {
  std::vector<Destination> out;
  uint32_t lineNo = 0;
  while (!text.empty()) {
    ++lineNo;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

    // Kamailio ends the URI, flags and priority at '#'; one rule for the whole line is simpler
    // to explain, and '#' has no business unescaped in a SIP URI or an attribute anyway.
    line = line.substr(0, line.find('#'));
    std::string_view probe = line;
    if (nextField(probe).empty()) continue;

    Destination dest;
    dest.line = lineNo;
    if (std::string why = parseLine(line, dest); !why.empty()) {
      return Result<std::vector<Destination>>::error(std::string(fileName) + ":" +
                                                     std::to_string(lineNo) + ": " + why);
    }
    out.push_back(std::move(dest));
  }
  return out;
}

Result<std::vector<Destination>> loadListFile(const std::string& path) {
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return Result<std::vector<Destination>>::error(path + ": cannot open: " + std::strerror(errno));
  }
  std::string text;
  char buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), file.get())) > 0) text.append(buf, n);
  if (std::ferror(file.get())) {
    return Result<std::vector<Destination>>::error(path + ": cannot read: " + std::strerror(errno));
  }
  return parseList(text, path);
}

}  // namespace tandem::dispatcher
