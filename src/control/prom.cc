// Prometheus text format details: https://prometheus.io/docs/instrumenting/exposition_formats/
#include "control/prom.h"

namespace tandem::control {

namespace {

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one (overlongs, surrogates
// and code points past U+10FFFF included).
size_t utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

bool PromWriter::validMetricName(std::string_view name) {
  if (name.empty() || !(isAlpha(name[0]) || name[0] == '_' || name[0] == ':')) return false;
  for (char c : name) {
    if (!(isAlpha(c) || isDigit(c) || c == '_' || c == ':')) return false;
  }
  return true;
}

bool PromWriter::validLabelName(std::string_view name) {
  // Names starting with __ are reserved for Prometheus itself.
  if (name.empty() || !(isAlpha(name[0]) || name[0] == '_') || name.starts_with("__")) {
    return false;
  }
  for (char c : name) {
    if (!(isAlpha(c) || isDigit(c) || c == '_')) return false;
  }
  return true;
}

std::string PromWriter::escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size();) {
    char c = value[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      // Prometheus rejects a scrape with a label value that is not UTF-8; values here may come
      // off the wire (URIs, user agents), so bad bytes become U+FFFD instead.
      size_t len = utf8SequenceLength(value, i);
      if (len == 0) {
        out += "\xef\xbf\xbd";
        ++i;
        continue;
      }
      out.append(value.substr(i, len));
      i += len;
      continue;
    }
    ++i;
  }
  return out;
}

std::string PromWriter::escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  // HELP text must be UTF-8 as well; reuse the label rules minus the quote escaping.
  std::string clean;
  for (size_t i = 0; i < out.size();) {
    size_t len = utf8SequenceLength(out, i);
    if (len == 0) {
      clean += "\xef\xbf\xbd";
      ++i;
    } else {
      clean.append(out, i, len);
      i += len;
    }
  }
  return clean;
}

void PromWriter::add(Type type, std::string_view name, std::string_view help, const Labels& labels,
                     const std::string& value) {
  if (!validMetricName(name)) {
    errors_.push_back(fmt::format("invalid metric name \"{}\"", name));
    return;
  }
  for (const auto& [label, v] : labels) {
    if (!validLabelName(label)) {
      errors_.push_back(fmt::format("{}: invalid label name \"{}\"", name, label));
      return;
    }
  }
  auto [it, inserted] = index_.try_emplace(std::string(name), families_.size());
  if (inserted) {
    families_.push_back(Family{std::string(name), std::string(help), type, {}});
  }
  Family& family = families_[it->second];
  if (family.type != type) {
    errors_.push_back(fmt::format("{}: added as {} after being a {}", name,
                                  type == Type::kCounter ? "counter" : "gauge",
                                  family.type == Type::kCounter ? "counter" : "gauge"));
    return;
  }
  std::string& s = family.samples;
  s.append(name);
  if (!labels.empty()) {
    s += '{';
    bool first = true;
    for (const auto& [label, v] : labels) {
      if (!first) s += ',';
      first = false;
      s.append(label);
      s += "=\"";
      s += escapeLabelValue(v);
      s += '"';
    }
    s += '}';
  }
  s += ' ';
  s += value;
  s += '\n';
}

std::string PromWriter::text() const {
  std::string out;
  for (const Family& f : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, escapeHelp(f.help), f.name,
                       f.type == Type::kCounter ? "counter" : "gauge");
    out += f.samples;
  }
  return out;
}

}  // namespace tandem::control
