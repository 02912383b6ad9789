// TokenAuthenticator: bearer-token authentication of calls.
//
// Holds the accepted tokens (from --auth-token-file). A call is admitted when its `authorization` header is
// "Bearer <token>" for one of them. Tokens are compared in constant time (the time taken does not depend on
// where a guess first differs, nor on which token matched). Immutable after creation; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rectifier::server {

class TokenAuthenticator {
 public:
  // INVALID_ARGUMENT when `tokens` is empty or holds an empty token.
  static absl::StatusOr<std::unique_ptr<TokenAuthenticator>> Create(std::vector<std::string> tokens);

  // OK, or UNAUTHENTICATED saying what is missing or wrong (never echoing the header).
  // `authorization` is the header's value; nullptr when the header is absent.
  absl::Status Check(const std::string_view* authorization) const;

 private:
  explicit TokenAuthenticator(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}
  std::vector<std::string> tokens_;
};

}  // namespace rectifier::server
