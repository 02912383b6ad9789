// Status values for the kernel library and everything above it.
//
// Rectifier uses absl::Status (canonical codes, no exceptions across module boundaries). This header adds
// the one early-return helper the code base uses, so every layer propagates errors the same way.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define RECTIFIER_RETURN_IF_ERROR(expr)                 \
  do {                                                  \
    ::absl::Status rectifier_status_ = (expr);          \
    if (!rectifier_status_.ok()) return rectifier_status_; \
  } while (false)

#define RECTIFIER_CONCAT_INNER_(a, b) a##b
#define RECTIFIER_CONCAT_(a, b) RECTIFIER_CONCAT_INNER_(a, b)

// `lhs = value of statusor_expr`, or returns its status from the enclosing function.
#define RECTIFIER_ASSIGN_OR_RETURN(lhs, statusor_expr) \
  RECTIFIER_ASSIGN_OR_RETURN_IMPL_(RECTIFIER_CONCAT_(rectifier_statusor_, __LINE__), lhs, statusor_expr)
#define RECTIFIER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, statusor_expr) \
  auto tmp = (statusor_expr);                                      \
  if (!tmp.ok()) return std::move(tmp).status();                   \
  lhs = std::move(tmp).value()
