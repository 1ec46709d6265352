// Result<T>: a value or an Error{code, message}. The error type of every fallible
// operation in core; core throws no exceptions.
//
// `code` is a stable camelCase token (e.g. "invalidLength") that callers may match on and
// the API layer may pass to clients; `message` is for humans and logs and may change.
// A failed verification is a normal outcome and is reported as an Error, never by abort.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "tillit/check.h"

namespace tillit {

struct [[nodiscard]] Error {
  std::string code;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Accessing the value of a failed Result (or the error of a good one) is a programmer
  // error and aborts.
  T& value() & {
    TILLIT_CHECK(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    TILLIT_CHECK(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    TILLIT_CHECK(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    TILLIT_CHECK(!ok());
    return std::get<1>(state_);
  }
  Error&& error() && {
    TILLIT_CHECK(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    TILLIT_CHECK(!ok_);
    return error_;
  }
  Error&& error() && {
    TILLIT_CHECK(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Error MakeError(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

}  // namespace tillit

#define TILLIT_CONCAT_INNER_(a, b) a##b
#define TILLIT_CONCAT_(a, b) TILLIT_CONCAT_INNER_(a, b)

// TILLIT_TRY(expr): evaluates a Result<void>/Status; returns its Error from the enclosing
// function on failure.
#define TILLIT_TRY(expr)                                            \
  do {                                                              \
    auto tillit_try_status_ = (expr);                               \
    if (!tillit_try_status_.ok()) return std::move(tillit_try_status_).error(); \
  } while (false)

// TILLIT_TRY_ASSIGN(lhs, expr): evaluates a Result<T>; on failure returns its Error, else
// moves the value into `lhs` (which may be a declaration: `auto key`).
#define TILLIT_TRY_ASSIGN(lhs, expr) \
  TILLIT_TRY_ASSIGN_IMPL_(TILLIT_CONCAT_(tillit_try_result_, __LINE__), lhs, expr)
#define TILLIT_TRY_ASSIGN_IMPL_(tmp, lhs, expr)            \
  auto tmp = (expr);                                       \
  if (!tmp.ok()) return std::move(tmp).error();            \
  lhs = std::move(tmp).value()
