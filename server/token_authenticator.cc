#include "server/token_authenticator.h"

#include <algorithm>

namespace rectifier::server {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

// Compares every byte of the longer string, so the time depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::Create(std::vector<std::string> tokens) {
  if (tokens.empty()) return absl::InvalidArgumentError("auth tokens must not be empty; the token file has none");
  for (const std::string& token : tokens) {
    if (token.empty()) return absl::InvalidArgumentError("auth tokens must be non-empty strings");
  }
  return std::unique_ptr<TokenAuthenticator>(new TokenAuthenticator(std::move(tokens)));
}

absl::Status TokenAuthenticator::Check(const std::string_view* authorization) const {
  if (authorization == nullptr) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  if (authorization->substr(0, kBearerPrefix.size()) != kBearerPrefix) {
    return absl::UnauthenticatedError("the authorization metadata must have the form 'Bearer <token>'");
  }
  const std::string_view presented = authorization->substr(kBearerPrefix.size());
  bool match = false;
  for (const std::string& token : tokens_) match |= ConstantTimeEquals(presented, token);  // No early exit.
  if (!match) return absl::UnauthenticatedError("the bearer token is not accepted");
  return absl::OkStatus();
}

}  // namespace rectifier::server
