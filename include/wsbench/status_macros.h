// Status propagation macros for absl::Status / absl::StatusOr.
//
// Abseil 20220623 (Debian 12) ships no RETURN_IF_ERROR macros, so wsbench keeps
// its own two here. Use them at API edges, not inside hot loops.
//
//   absl::Status Load(std::string_view path) {
//     WSBENCH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     WSBENCH_RETURN_IF_ERROR(Parse(text));
//     return absl::OkStatus();
//   }
#ifndef WSBENCH_STATUS_MACROS_H_
#define WSBENCH_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define WSBENCH_RETURN_IF_ERROR(expr)                \
  do {                                               \
    ::absl::Status wsbench_status_ = (expr);         \
    if (!wsbench_status_.ok()) return wsbench_status_; \
  } while (0)

#define WSBENCH_INTERNAL_CONCAT_(a, b) a##b
#define WSBENCH_INTERNAL_CONCAT(a, b) WSBENCH_INTERNAL_CONCAT_(a, b)
#define WSBENCH_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                      \
  if (!tmp.ok()) return std::move(tmp).status();          \
  lhs = *std::move(tmp)

// Evaluates `expr` (an absl::StatusOr<T>); on error returns its status, else
// assigns the value to `lhs` (which may declare a variable).
#define WSBENCH_ASSIGN_OR_RETURN(lhs, expr) \
  WSBENCH_INTERNAL_ASSIGN_OR_RETURN(        \
      WSBENCH_INTERNAL_CONCAT(wsbench_statusor_, __LINE__), lhs, expr)

#endif  // WSBENCH_STATUS_MACROS_H_
