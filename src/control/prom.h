// Prometheus text exposition format 0.0.4 writer: counters and gauges, grouped by family with
// one HELP and TYPE each, label values escaped and made valid UTF-8. Built per scrape; not a
// metrics registry (components keep their own counters and write them out here).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tandem::control {

// Label name/value pairs, e.g. {{"set", "1"}, {"uri", "sip:10.0.0.1"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

template <typename T>
concept PromNumber = (std::integral<T> && !std::same_as<T, bool>) || std::floating_point<T>;

// Collects samples and renders them. Samples of one family may be added in any order and from
// several MetricsFn hooks; text() emits each family's lines together, families in the order
// first seen. A sample with an invalid metric or label name, or a family added again with
// another type, is dropped and described in errors(). Not thread-safe.
class PromWriter {
 public:
  enum class Type { kCounter, kGauge };

  // name: [a-zA-Z_:][a-zA-Z0-9_:]*, counters by convention ending in _total. help: the
  // family's HELP text (the first one given wins).
  template <PromNumber T>
  void counter(std::string_view name, std::string_view help, const Labels& labels, T value) {
    add(Type::kCounter, name, help, labels, formatValue(value));
  }
  template <PromNumber T>
  void counter(std::string_view name, std::string_view help, T value) {
    add(Type::kCounter, name, help, {}, formatValue(value));
  }
  template <PromNumber T>
  void gauge(std::string_view name, std::string_view help, const Labels& labels, T value) {
    add(Type::kGauge, name, help, labels, formatValue(value));
  }
  template <PromNumber T>
  void gauge(std::string_view name, std::string_view help, T value) {
    add(Type::kGauge, name, help, {}, formatValue(value));
  }

  // The exposition text.
  std::string text() const;
  const std::vector<std::string>& errors() const { return errors_; }

  // Exposed for tests: the escaping rules of the format.
  static std::string escapeLabelValue(std::string_view value);
  static std::string escapeHelp(std::string_view help);
  static bool validMetricName(std::string_view name);
  static bool validLabelName(std::string_view name);

 private:
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::string samples;  // rendered lines
  };

  template <PromNumber T>
  static std::string formatValue(T value) {
    if constexpr (std::floating_point<T>) {
      if (std::isnan(value)) return "NaN";
      if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    }
    return fmt::format("{}", value);
  }
  void add(Type type, std::string_view name, std::string_view help, const Labels& labels,
           const std::string& value);

  std::vector<Family> families_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::string> errors_;
};

}  // namespace tandem::control
