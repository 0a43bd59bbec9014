// Errors on the packet path are values: a Status carries a code and a message, a Result<T>
// carries either a T or the Status that explains why there is none. No exceptions cross here.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tandem {

class Status {
 public:
  Status() = default;  // ok
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool isOk() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  // REQUIRES: !isOk() for a meaningful text; empty when ok.
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

// Result<T>: a T, or the Status saying why not. Cheap to move.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design
  static Result error(std::string message) { return Result(Status::error(std::move(message))); }

  bool isOk() const { return v_.index() == 0; }
  explicit operator bool() const { return isOk(); }
  // REQUIRES: isOk()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() { return value(); }
  // REQUIRES: !isOk()
  const Status& status() const { return std::get<1>(v_); }
  const std::string& message() const { return std::get<1>(v_).message(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tandem
