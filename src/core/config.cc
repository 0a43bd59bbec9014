// ConfigReader over toml++; parse errors are caught here, never past this file.
#include "core/config.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace tandem {

Result<std::unique_ptr<ConfigReader>> ConfigReader::parse(std::string_view text,
                                                          std::string fileName) {
  std::unique_ptr<ConfigReader> r(new ConfigReader());
  r->fileName_ = std::move(fileName);
  try {
    r->root_ = std::make_unique<toml::table>(toml::parse(text, r->fileName_));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return Result<std::unique_ptr<ConfigReader>>::error(
        r->fileName_ + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
        std::string(e.description()));
  }
  return r;
}

Result<std::unique_ptr<ConfigReader>> ConfigReader::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Result<std::unique_ptr<ConfigReader>>::error(path + ": cannot open config file");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

ConfigReader::~ConfigReader() = default;

ConfigSection ConfigReader::section(std::string_view name) {
  known_.insert(std::string(name));
  const toml::table* t = nullptr;
  if (auto* n = root_->get(name)) {
    t = n->as_table();
    if (t == nullptr) {
      errors_.push_back(fileName_ + ":" + std::to_string(n->source().begin.line) + ": " +
                        std::string(name) + ": expected a table [" + std::string(name) + "]");
    }
  }
  return ConfigSection(this, t, std::string(name));
}

void ConfigReader::rejectUnknown() {
  for (auto&& [k, v] : *root_) {
    std::string sec(k.str());
    if (!known_.count(sec)) {
      errors_.push_back(fileName_ + ":" + std::to_string(v.source().begin.line) + ": " + sec +
                        ": unknown section");
      continue;
    }
    if (auto* t = v.as_table()) {
      for (auto&& [k2, v2] : *t) {
        std::string full = sec + "." + std::string(k2.str());
        if (!known_.count(full)) {
          errors_.push_back(fileName_ + ":" + std::to_string(v2.source().begin.line) + ": " + full +
                            ": unknown key");
        }
      }
    }
  }
}

Status ConfigReader::status() const {
  if (errors_.empty()) return Status::ok();
  std::string all;
  for (const auto& e : errors_) {
    if (!all.empty()) all += "\n";
    all += e;
  }
  return Status::error(all);
}

const toml::node* ConfigSection::find(std::string_view key) {
  reader_->known_.insert(name_ + "." + std::string(key));
  return table_ == nullptr ? nullptr : table_->get(key);
}

bool ConfigSection::has(std::string_view key) const {
  return table_ != nullptr && table_->get(key) != nullptr;
}

std::string ConfigSection::where(const toml::node* node) const {
  uint32_t line = node != nullptr ? node->source().begin.line
                                  : (table_ != nullptr ? table_->source().begin.line : 0);
  if (line == 0) return reader_->fileName_ + ": ";  // the section is absent from the file
  return reader_->fileName_ + ":" + std::to_string(line) + ": ";
}

void ConfigSection::error(std::string_view key, std::string_view message) {
  const toml::node* n = (table_ != nullptr && !key.empty()) ? table_->get(key) : nullptr;
  reader_->errors_.push_back(where(n) + name_ + (key.empty() ? "" : ".") + std::string(key) + ": " +
                             std::string(message));
}

void ConfigSection::errorAt(std::string_view key, size_t index, std::string_view message) {
  const toml::node* n = table_ != nullptr ? table_->get(key) : nullptr;
  if (n != nullptr && n->is_array() && index < n->as_array()->size()) {
    n = n->as_array()->get(index);
  }
  reader_->errors_.push_back(where(n) + name_ + "." + std::string(key) + "[" +
                             std::to_string(index) + "]: " + std::string(message));
}

std::string ConfigSection::getString(std::string_view key, std::string_view def) {
  const toml::node* n = find(key);
  if (n == nullptr) return std::string(def);
  if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
  error(key, "expected a string");
  return std::string(def);
}

int64_t ConfigSection::getInt(std::string_view key, int64_t def, int64_t min, int64_t max) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  if (!n->is_integer()) {
    error(key, "expected an integer");
    return def;
  }
  int64_t v = *n->value<int64_t>();
  if (v < min || v > max) {
    error(key, "value " + std::to_string(v) + " out of range [" + std::to_string(min) + ", " +
                   std::to_string(max) + "]");
    return def;
  }
  return v;
}

bool ConfigSection::getBool(std::string_view key, bool def) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  if (!n->is_boolean()) {
    error(key, "expected true or false");
    return def;
  }
  return *n->value<bool>();
}

std::vector<std::string> ConfigSection::getStringList(std::string_view key,
                                                      const std::vector<std::string>& def) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  const toml::array* a = n->as_array();
  if (a == nullptr) {
    error(key, "expected an array of strings");
    return def;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::node* item = a->get(i);
    if (!item->is_string()) {
      errorAt(key, i, "expected a string");
      continue;
    }
    out.push_back(*item->value<std::string>());
  }
  return out;
}

}  // namespace tandem
