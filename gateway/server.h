// The HTTP/1.1 server: accepts connections, parses requests (Boost.Beast), enforces read
// deadlines and size limits, and hands each request to one Handler. Beast is confined to
// server.cpp; this header is cheap to include.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include "core/config.h"
#include "gateway/http_types.h"

namespace warden::gateway {

class HttpServer {
 public:
  // `early_error` is told the status of requests answered before reaching the handler
  // (malformed HTTP, 413, 431, timeouts), so they show in metrics.
  HttpServer(core::ServerConfig config, Handler handler, std::function<void(int status)> early_error = {});
  ~HttpServer();

  // Binds and starts the network threads. Throws when the address cannot be bound.
  void start();
  int port() const;

  // Stops accepting, closes idle connections, lets in-flight requests finish for up to
  // `grace`, then stops the threads. Blocks until done.
  void shutdown(std::chrono::milliseconds grace);

  size_t open_connections() const;
  size_t busy_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::gateway
