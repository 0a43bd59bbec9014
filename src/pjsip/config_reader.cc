// Asterisk config reader: one pass per file, includes inlined, templates copied at header time
// exactly as main/config.c does, so what we convert is what Asterisk would have loaded.
#include "pjsip/config_reader.h"

#include <glob.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace tandem::pjsip {
namespace {

constexpr int kMaxIncludeDepth = 16;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string dirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// A glob pattern matcher for MemoryFiles: '*' and '?' (no character classes needed in tests).
bool globMatch(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (size_t i = 0; i <= text.size(); ++i) {
      if (text.substr(0, i).find('/') != std::string_view::npos) break;
      if (globMatch(pattern.substr(1), text.substr(i))) return true;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pattern[0] == '?' ? text[0] != '/' : pattern[0] == text[0]) {
    return globMatch(pattern.substr(1), text.substr(1));
  }
  return false;
}

class Reader {
 public:
  Reader(FileSource& files, std::string configDir)
      : files_(files), configDir_(std::move(configDir)) {}

  Status readFile(const std::string& path, int depth, int current) {
    if (depth > kMaxIncludeDepth) {
      return Status::error(path + ": #include nested more than " +
                           std::to_string(kMaxIncludeDepth) + " deep (an include cycle?)");
    }
    if (std::find(stack_.begin(), stack_.end(), path) != stack_.end()) {
      return Status::error(stack_.back() + ": #include cycle: " + path + " includes itself");
    }
    auto text = files_.read(path);
    if (!text) return text.status();
    config_.files.push_back(path);
    stack_.push_back(path);
    Status s = readText(*text, path, depth, current);
    stack_.pop_back();
    return s;
  }

  Config take() { return std::move(config_); }

 private:
  // Removes comments from one physical line. depth counts open ";-- --;" blocks, which nest and
  // span lines; "\;" is a literal semicolon.
  std::string stripComments(std::string_view line, int& depth) {
    std::string out;
    size_t i = 0;
    auto opensBlock = [&](size_t at) {
      return line.substr(at, 3) == ";--" && (at + 3 >= line.size() || line[at + 3] != '-');
    };
    while (i < line.size()) {
      char c = line[i];
      if (depth > 0) {
        if (line.substr(i, 3) == "--;") {
          --depth;
          i += 3;
        } else if (c == ';' && opensBlock(i)) {
          ++depth;
          i += 3;
        } else {
          ++i;
        }
        continue;
      }
      if (c == ';') {
        if (!out.empty() && out.back() == '\\') {
          out.back() = ';';
          ++i;
          continue;
        }
        if (opensBlock(i)) {
          ++depth;
          i += 3;
          continue;
        }
        break;  // the rest of the line is a comment
      }
      out += c;
      ++i;
    }
    return out;
  }

  Status readText(const std::string& text, const std::string& path, int depth, int current) {
    std::istringstream in(text);
    std::string raw;
    int lineNo = 0;
    int commentDepth = 0;
    int commentOpenedAt = 0;
    while (std::getline(in, raw)) {
      ++lineNo;
      int before = commentDepth;
      std::string stripped = stripComments(raw, commentDepth);
      if (before == 0 && commentDepth > 0) commentOpenedAt = lineNo;
      std::string_view line = trim(stripped);
      if (line.empty()) continue;
      SourceRef where{path, lineNo};
      auto fail = [&](const std::string& message) {
        return Status::error(where.toString() + ": " + message);
      };

      if (line[0] == '[') {
        auto s = readHeader(line, where);
        if (!s) return s.status();
        current = *s;
        continue;
      }
      if (line[0] == '#') {
        if (Status s = readDirective(line, where, depth, current); !s) return s;
        continue;
      }
      size_t eq = line.find('=');
      if (current < 0) {
        return fail("\"" + std::string(line) + "\" is not inside a [section]");
      }
      if (eq == std::string_view::npos) {
        return fail("expected \"name = value\" in [" + config_.sections[current].name +
                    "], found \"" + std::string(line) + "\"");
      }
      bool append = eq > 0 && line[eq - 1] == '+';
      std::string key(trim(line.substr(0, append ? eq - 1 : eq)));
      std::string_view rest = line.substr(eq + 1);
      if (!rest.empty() && rest[0] == '>') rest.remove_prefix(1);  // "=>" is "=" to Asterisk
      std::string value(trim(rest));
      if (key.empty())
        return fail("missing option name before '=' in \"" + std::string(line) + "\"");
      addEntry(config_.sections[current], Entry{key, value, where}, append);
    }
    if (commentDepth > 0) {
      config_.warnings.push_back(
          {SourceRef{path, commentOpenedAt},
           "block comment \";--\" is never closed with \"--;\"; the rest of the file is ignored"});
    }
    return Status::ok();
  }

  // "key += value" appends to the last value of key, as Asterisk does.
  static void addEntry(Section& section, Entry entry, bool append) {
    if (append) {
      for (auto it = section.entries.rbegin(); it != section.entries.rend(); ++it) {
        if (it->key == entry.key) {
          it->value += entry.value;
          entry.value = it->value;
          it->where = entry.where;
          for (auto own = section.own.rbegin(); own != section.own.rend(); ++own) {
            if (own->key == entry.key) {
              own->value = entry.value;
              own->where = entry.where;
              return;
            }
          }
          section.own.push_back(std::move(entry));
          return;
        }
      }
    }
    section.entries.push_back(entry);
    section.own.push_back(std::move(entry));
  }

  int findSection(std::string_view name) const {
    for (size_t i = 0; i < config_.sections.size(); ++i) {
      if (config_.sections[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  Result<int> readHeader(std::string_view line, const SourceRef& where) {
    auto fail = [&](const std::string& message) {
      return Result<int>::error(where.toString() + ": " + message);
    };
    size_t close = line.find(']');
    if (close == std::string_view::npos) {
      return fail("no closing ']' in section header \"" + std::string(line) + "\"");
    }
    std::string name(trim(line.substr(1, close - 1)));
    if (name.empty()) return fail("empty section name \"" + std::string(line) + "\"");
    std::string_view after = line.substr(close + 1);
    std::vector<std::string> flags;
    if (!after.empty() && after[0] == '(') {
      size_t paren = after.find(')');
      if (paren == std::string_view::npos) {
        return fail("no closing ')' in section header \"" + std::string(line) + "\"");
      }
      std::string_view list = after.substr(1, paren - 1);
      while (true) {
        size_t comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        if (!item.empty()) flags.emplace_back(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
      after = after.substr(paren + 1);
    }
    if (!trim(after).empty()) {
      // Asterisk reads "(...)" only right after ']': "[x] (!)" is a plain section.
      config_.warnings.push_back({where, "text after the section header is ignored: \"" +
                                             std::string(trim(after)) + "\""});
    }

    bool addition = std::find(flags.begin(), flags.end(), "+") != flags.end();
    int index;
    if (addition) {
      index = findSection(name);
      if (index < 0) {
        return fail("[" + name + "](+) adds to a section that is not defined above");
      }
    } else {
      Section section;
      section.name = name;
      section.where = where;
      config_.sections.push_back(std::move(section));
      index = static_cast<int>(config_.sections.size()) - 1;
    }
    for (const std::string& flag : flags) {
      if (flag == "+") continue;
      if (flag == "!") {
        config_.sections[index].isTemplate = true;
        continue;
      }
      int base = findSection(flag);
      if (base < 0 || base == index) {
        return fail("[" + name + "] inherits from [" + flag + "], which is not defined above");
      }
      // Copy now: lines added to the template later do not reach this section (Asterisk).
      Section& target = config_.sections[index];
      const Section& from = config_.sections[base];
      target.templates.push_back(flag);
      target.entries.insert(target.entries.end(), from.entries.begin(), from.entries.end());
    }
    return index;
  }

  Status readDirective(std::string_view line, const SourceRef& where, int depth, int current) {
    auto fail = [&](const std::string& message) {
      return Status::error(where.toString() + ": " + message);
    };
    std::string_view body = line.substr(1);
    size_t space = body.find_first_of(" \t");
    std::string word(body.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(body.substr(space));
    if (arg.size() >= 2 &&
        ((arg.front() == '"' && arg.back() == '"') || (arg.front() == '<' && arg.back() == '>'))) {
      arg = arg.substr(1, arg.size() - 2);
    }
    if (word == "exec" || word == "tryexec") {
      config_.warnings.push_back(
          {where, "#" + word + " is not run; the output of \"" + std::string(arg) +
                      "\" is not read (run it and #include the result instead)"});
      return Status::ok();
    }
    if (word != "include" && word != "tryinclude") {
      config_.warnings.push_back({where, "unknown directive \"#" + word + "\" is ignored"});
      return Status::ok();
    }
    if (arg.empty()) return fail("#" + word + " needs a file name");
    std::string pattern(arg);
    if (pattern[0] != '/' && !configDir_.empty()) pattern = configDir_ + "/" + pattern;
    std::vector<std::string> paths = files_.glob(pattern);
    if (paths.empty()) {
      if (word == "tryinclude") return Status::ok();
      return fail("#include \"" + std::string(arg) + "\": no such file");
    }
    for (const std::string& path : paths) {
      if (Status s = readFile(path, depth + 1, current); !s) {
        if (word == "tryinclude" && s.message().find(path) == 0 &&
            s.message().find(": cannot read") != std::string::npos) {
          continue;
        }
        return s;
      }
    }
    return Status::ok();
  }

  FileSource& files_;
  std::string configDir_;
  std::vector<std::string> stack_;
  Config config_;
};

}  // namespace

std::string SourceRef::toString() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line);
}

const Entry* Section::last(std::string_view key) const {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

std::vector<const Entry*> Section::all(std::string_view key) const {
  std::vector<const Entry*> out;
  for (const Entry& e : entries) {
    if (e.key == key) out.push_back(&e);
  }
  return out;
}

const Section* Config::find(std::string_view name) const {
  for (const Section& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<std::string> DiskFiles::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Result<std::string>::error(path + ": cannot read the file");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> DiskFiles::glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), GLOB_BRACE, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> MemoryFiles::read(const std::string& path) {
  auto it = files_.find(path);
  if (it == files_.end()) return Result<std::string>::error(path + ": cannot read the file");
  return it->second;
}

std::vector<std::string> MemoryFiles::glob(const std::string& pattern) {
  std::vector<std::string> out;
  for (const auto& [path, text] : files_) {
    if (globMatch(pattern, path)) out.push_back(path);
  }
  return out;  // std::map keeps them sorted
}

Result<Config> readConfig(const std::string& path, FileSource& files) {
  Reader reader(files, dirName(path));
  if (Status s = reader.readFile(path, 0, -1); !s) return s;
  return reader.take();
}

Result<Config> parseConfig(std::string_view text, const std::string& name) {
  MemoryFiles files;
  files.add(name, std::string(text));
  return readConfig(name, files);
}

}  // namespace tandem::pjsip
