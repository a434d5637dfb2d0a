// HTTP request/response types the handlers see. Boost.Beast stays inside server.cpp so
// that handler code (and everything that includes these headers) compiles quickly.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace warden::gateway {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // path + query as sent
  std::string path;                            // target without the query
  std::string query;                           // after '?', undecoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  std::string request_id;                      // x-request-id (client's or generated)

  const std::string* header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
  std::string query_param(std::string_view name) const;  // "" when absent; percent-decoded
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
};

// How a handler answers. All methods may be called from any thread; the server posts
// the work to the connection's strand. Either `send` once, or `start_stream` then any
// number of `write` then `end`. After the client disconnects, writes are dropped and the
// `on_disconnect` callback (set by the handler) runs once.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void send(HttpResponse response) = 0;
  virtual void start_stream(int status, std::string content_type,
                            std::vector<std::pair<std::string, std::string>> headers) = 0;
  virtual void write(std::string chunk) = 0;
  virtual void end() = 0;
  virtual bool disconnected() const = 0;
  virtual void on_disconnect(std::function<void()> callback) = 0;
};

using Handler = std::function<void(const HttpRequest&, std::shared_ptr<Responder>)>;

}  // namespace warden::gateway
