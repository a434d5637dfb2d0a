#include "gateway/api_error.h"

#include "core/json.h"

namespace warden::gateway {

HttpResponse ApiError::to_response() const {
  core::Json error = core::Json::object();
  error["message"] = what();
  error["type"] = type_;
  error["param"] = param_ ? core::Json(*param_) : core::Json(nullptr);
  error["code"] = code_;
  core::Json body = core::Json::object();
  body["error"] = std::move(error);
  HttpResponse response;
  response.status = status_;
  response.body = body.dump();
  response.headers = headers;
  return response;
}

}  // namespace warden::gateway
