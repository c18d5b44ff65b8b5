// Result<T, E>: a value or an error, never both. Errors are values in this project: every
// fallible call returns a Result (or Status = Result<void, E>) instead of throwing.
//
// Contract: accessing value() on an error (or error() on a value) is a programming error and
// aborts in debug builds (assert). Result is movable; copyable when T and E are.
#ifndef S3FS_COMMON_RESULT_H_
#define S3FS_COMMON_RESULT_H_

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace s3fs {

// Wraps an error so that `return Fail(err);` converts into any Result<T, E>.
template <typename E>
struct Failure {
  E error;
};
template <typename E>
Failure<std::decay_t<E>> Fail(E&& e) {
  return Failure<std::decay_t<E>>{std::forward<E>(e)};
}

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  template <typename F, typename = std::enable_if_t<std::is_convertible_v<F, E>>>
  Result(Failure<F> f) : v_(std::in_place_index<1>, E(std::move(f.error))) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const E& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  E&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }
  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> v_;
};

template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <typename F, typename = std::enable_if_t<std::is_convertible_v<F, E>>>
  Result(Failure<F> f) : e_(E(std::move(f.error))) {}  // NOLINT implicit

  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const E& error() const& {
    assert(!ok());
    return *e_;
  }
  E&& error() && {
    assert(!ok());
    return std::move(*e_);
  }

 private:
  std::optional<E> e_;
};

}  // namespace s3fs

// Propagates an error from an expression returning Result<_, E> in a function returning
// Result<_, E2> where E converts to E2.
#define S3FS_RETURN_IF_ERROR(expr)                                                \
  do {                                                                            \
    auto s3fs_status_ = (expr);                                                   \
    if (!s3fs_status_.ok()) return ::s3fs::Fail(std::move(s3fs_status_).error()); \
  } while (0)

#define S3FS_CONCAT_INNER_(a, b) a##b
#define S3FS_CONCAT_(a, b) S3FS_CONCAT_INNER_(a, b)
// Declares `lhs` from the value of a Result expression, or returns its error.
#define S3FS_ASSIGN_OR_RETURN(lhs, expr) \
  S3FS_ASSIGN_OR_RETURN_IMPL_(S3FS_CONCAT_(s3fs_result_, __LINE__), lhs, expr)
#define S3FS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)           \
  auto tmp = (expr);                                          \
  if (!tmp.ok()) return ::s3fs::Fail(std::move(tmp).error()); \
  lhs = std::move(tmp).value()

#endif  // S3FS_COMMON_RESULT_H_
