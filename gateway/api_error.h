// OpenAI-shaped errors: {"error": {"message", "type", "param", "code"}} with a status.
// Handlers throw ApiError; the router turns it into the response.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "gateway/http_types.h"

namespace warden::gateway {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string type, std::string code,
           std::optional<std::string> param = std::nullopt)
      : std::runtime_error(message), status_(status), type_(std::move(type)), code_(std::move(code)),
        param_(std::move(param)) {}

  int status() const { return status_; }
  const std::string& type() const { return type_; }
  const std::string& code() const { return code_; }
  const std::optional<std::string>& param() const { return param_; }
  // Extra response headers (Retry-After for 429).
  std::vector<std::pair<std::string, std::string>> headers;

  HttpResponse to_response() const;

  static ApiError bad_request(std::string message, std::optional<std::string> param = std::nullopt,
                              std::string code = "invalid_value") {
    return ApiError(400, std::move(message), "invalid_request_error", std::move(code), std::move(param));
  }
  static ApiError unauthorized(std::string message) {
    return ApiError(401, std::move(message), "invalid_request_error", "invalid_api_key");
  }
  static ApiError forbidden(std::string message) {
    return ApiError(403, std::move(message), "permission_error", "forbidden");
  }
  static ApiError not_found(std::string message, std::string code = "not_found") {
    return ApiError(404, std::move(message), "invalid_request_error", std::move(code));
  }
  static ApiError unavailable(std::string message, std::string code = "overloaded") {
    return ApiError(503, std::move(message), "server_error", std::move(code));
  }

 private:
  int status_;
  std::string type_;
  std::string code_;
  std::optional<std::string> param_;
};

}  // namespace warden::gateway
