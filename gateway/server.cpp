#include "gateway/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "core/json.h"
#include "core/log.h"
#include "gateway/request_id.h"

namespace warden::gateway {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Largest read-ahead kept while a request is being handled (pipelined bytes).
constexpr size_t kMaxReadAhead = 64 * 1024;

std::string status_line(int status) {
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason.data(), reason.size()) + "\r\n";
}

std::string error_body(const std::string& message, const char* type, const char* code) {
  core::Json error = core::Json::object();
  error["message"] = message;
  error["type"] = type;
  error["param"] = nullptr;
  error["code"] = code;
  core::Json body = core::Json::object();
  body["error"] = std::move(error);
  return body.dump();
}

struct ServerState {
  core::ServerConfig config;
  Handler handler;
  std::function<void(int)> early_error;
  std::atomic<size_t> open{0};
  std::atomic<size_t> busy{0};
  std::atomic<bool> stopping{false};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<ServerState> state)
      : socket_(std::move(socket)),
        strand_(net::make_strand(socket_.get_executor())),
        timer_(strand_),
        state_(std::move(state)) {
    ++state_->open;
    beast::error_code ec;
    auto endpoint = socket_.remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }
  ~Session() { --state_->open; }

  void start() {
    net::dispatch(strand_, [self = shared_from_this()] { self->read_request(); });
  }

  // Called on the strand by the Responder.
  void respond(HttpResponse response);
  void stream_start(int status, std::string content_type, std::vector<std::pair<std::string, std::string>> headers);
  void stream_write(std::string chunk);
  void stream_end();
  bool disconnected() const { return disconnected_.load(); }
  void set_disconnect_callback(std::function<void()> cb) {
    std::lock_guard lock(callback_mutex_);
    if (disconnected_) {
      if (cb) cb();
      return;
    }
    on_disconnect_ = std::move(cb);
  }
  net::strand<net::any_io_executor>& strand() { return strand_; }

  void close_if_idle() {
    net::post(strand_, [self = shared_from_this()] {
      if (!self->handling_) self->close();
    });
  }

 private:
  void arm_deadline(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled or re-armed
      if (self->handling_) return;
      self->close();
    });
  }

  void read_request() {
    if (state_->stopping && buffer_.size() == 0) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(state_->config.max_header_bytes));
    parser_->body_limit(static_cast<uint64_t>(state_->config.max_body_bytes));
    arm_deadline(std::chrono::milliseconds(state_->config.read_timeout_ms));
    http::async_read(socket_, buffer_, *parser_,
                     net::bind_executor(strand_, [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_read(ec);
                     }));
  }

  void on_read(beast::error_code ec) {
    timer_.cancel();
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::bad_descriptor) {
      return close();
    }
    if (ec) {
      int status = 400;
      std::string message = "malformed HTTP request: " + ec.message();
      if (ec == http::error::body_limit) {
        status = 413;
        message = "request body is larger than " + std::to_string(state_->config.max_body_bytes) + " bytes";
      } else if (ec == http::error::header_limit) {
        status = 431;
        message = "request headers are larger than " + std::to_string(state_->config.max_header_bytes) + " bytes";
      }
      if (state_->early_error) state_->early_error(status);
      keep_alive_ = false;
      HttpResponse response;
      response.status = status;
      response.body = error_body(message, "invalid_request_error", status == 413 ? "request_too_large" : "bad_request");
      request_id_ = new_request_id();
      return respond(std::move(response));
    }
    auto& message = parser_->get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    size_t q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos) request.query = request.target.substr(q + 1);
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    request.body = std::move(message.body());
    request.remote_address = remote_;
    const std::string* client_id = request.header("x-request-id");
    request.request_id = client_id && valid_client_request_id(*client_id) ? *client_id : new_request_id();
    request_id_ = request.request_id;
    keep_alive_ = message.keep_alive() && !state_->stopping;
    parser_.reset();

    handling_ = true;
    ++state_->busy;
    watch_for_disconnect();
    auto responder = make_responder();
    try {
      state_->handler(request, responder);
    } catch (const std::exception& e) {
      core::log_error("handler threw", {{"error", e.what()}, {"request_id", request_id_}});
      HttpResponse response;
      response.status = 500;
      response.body = error_body("internal error", "server_error", "internal_error");
      responder->send(std::move(response));
    }
  }

  // While a request is handled, keep one read pending: EOF or an error means the client
  // went away (so generation can be cancelled); bytes are a pipelined request, kept.
  void watch_for_disconnect() {
    if (watching_ || buffer_.size() >= kMaxReadAhead) return;
    watching_ = true;
    auto space = buffer_.prepare(kMaxReadAhead - buffer_.size());
    socket_.async_read_some(space, net::bind_executor(strand_, [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->watching_ = false;
      if (ec) {
        self->mark_disconnected();
        if (!self->handling_) self->close();
        return;
      }
      self->buffer_.commit(n);
      if (!self->handling_ && !self->writing_) self->read_request();
    }));
  }

  void mark_disconnected() {
    std::function<void()> callback;
    {
      std::lock_guard lock(callback_mutex_);
      if (disconnected_.exchange(true)) return;
      callback = std::move(on_disconnect_);
    }
    if (callback) callback();
  }

  std::shared_ptr<Responder> make_responder();

  void enqueue(std::string bytes, bool last) {
    if (disconnected_) {
      if (last) finish_response();
      return;
    }
    write_queue_.push_back({std::move(bytes), last});
    if (!writing_) write_next();
  }

  void write_next() {
    if (write_queue_.empty()) return;
    writing_ = true;
    net::async_write(socket_, net::buffer(write_queue_.front().bytes),
                     net::bind_executor(strand_, [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       bool last = self->write_queue_.front().last;
                       self->write_queue_.pop_front();
                       if (ec) {
                         self->write_queue_.clear();
                         self->mark_disconnected();
                         self->keep_alive_ = false;
                         if (self->response_done_) self->finish_response();
                         return;
                       }
                       if (last) return self->finish_response();
                       self->write_next();
                     }));
  }

  void finish_response() {
    if (!handling_) {
      // Early errors (before a handler ran) end here too.
      if (!keep_alive_ || disconnected_) return close();
      return read_request();
    }
    handling_ = false;
    --state_->busy;
    if (!keep_alive_ || disconnected_) return close();
    if (watching_) {
      // The pending read resumes the loop when bytes arrive; meanwhile a deadline runs.
      arm_deadline(std::chrono::milliseconds(state_->config.read_timeout_ms));
      return;
    }
    read_request();
  }

  std::string common_headers() const {
    std::string h = "x-request-id: " + request_id_ + "\r\n";
    h += keep_alive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    return h;
  }

  void close() {
    timer_.cancel();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    mark_disconnected();
  }

  struct Pending {
    std::string bytes;
    bool last;
  };

  tcp::socket socket_;
  net::strand<net::any_io_executor> strand_;
  net::steady_timer timer_;
  std::shared_ptr<ServerState> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<Pending> write_queue_;
  std::string remote_;
  std::string request_id_;
  bool keep_alive_ = true;
  bool handling_ = false;
  bool watching_ = false;
  bool writing_ = false;
  bool response_started_ = false;
  bool response_done_ = false;
  std::atomic<bool> disconnected_{false};
  std::mutex callback_mutex_;
  std::function<void()> on_disconnect_;

  friend class SessionResponder;
};

class SessionResponder : public Responder {
 public:
  explicit SessionResponder(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  void send(HttpResponse response) override {
    net::post(session_->strand(), [s = session_, r = std::move(response)]() mutable { s->respond(std::move(r)); });
  }
  void start_stream(int status, std::string content_type,
                    std::vector<std::pair<std::string, std::string>> headers) override {
    net::post(session_->strand(), [s = session_, status, ct = std::move(content_type), h = std::move(headers)]() mutable {
      s->stream_start(status, std::move(ct), std::move(h));
    });
  }
  void write(std::string chunk) override {
    net::post(session_->strand(), [s = session_, c = std::move(chunk)]() mutable { s->stream_write(std::move(c)); });
  }
  void end() override {
    net::post(session_->strand(), [s = session_] { s->stream_end(); });
  }
  bool disconnected() const override { return session_->disconnected(); }
  void on_disconnect(std::function<void()> callback) override { session_->set_disconnect_callback(std::move(callback)); }

 private:
  std::shared_ptr<Session> session_;
};

std::shared_ptr<Responder> Session::make_responder() {
  response_started_ = false;
  response_done_ = false;
  return std::make_shared<SessionResponder>(shared_from_this());
}

void Session::respond(HttpResponse response) {
  if (response_started_) return;  // a handler answered twice: keep the first
  response_started_ = true;
  response_done_ = true;
  std::string bytes = status_line(response.status);
  bytes += "Content-Type: " + response.content_type + "\r\n";
  bytes += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  bytes += common_headers();
  for (const auto& [name, value] : response.headers) bytes += name + ": " + value + "\r\n";
  bytes += "\r\n";
  bytes += response.body;
  enqueue(std::move(bytes), true);
}

void Session::stream_start(int status, std::string content_type,
                           std::vector<std::pair<std::string, std::string>> headers) {
  if (response_started_) return;
  response_started_ = true;
  std::string bytes = status_line(status);
  bytes += "Content-Type: " + content_type + "\r\n";
  bytes += "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n";
  bytes += common_headers();
  for (const auto& [name, value] : headers) bytes += name + ": " + value + "\r\n";
  bytes += "\r\n";
  enqueue(std::move(bytes), false);
}

void Session::stream_write(std::string chunk) {
  if (!response_started_ || response_done_ || chunk.empty()) return;
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  std::string bytes = size;
  bytes += chunk;
  bytes += "\r\n";
  enqueue(std::move(bytes), false);
}

void Session::stream_end() {
  if (!response_started_ || response_done_) return;
  response_done_ = true;
  enqueue("0\r\n\r\n", true);
}

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<ServerState> state = std::make_shared<ServerState>();
  net::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<Session>> sessions;
  int port = 0;

  void accept() {
    acceptor->async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || state->stopping) return;
        core::log_warn("accept failed", {{"error", ec.message()}});
      } else if (state->open >= static_cast<size_t>(state->config.max_connections)) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        socket.set_option(tcp::no_delay(true), ec);
        auto session = std::make_shared<Session>(std::move(socket), state);
        {
          std::lock_guard lock(sessions_mutex);
          if (sessions.size() > 1024) {
            std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
          }
          sessions.push_back(session);
        }
        session->start();
      }
      if (!state->stopping) accept();
    });
  }
};

HttpServer::HttpServer(core::ServerConfig config, Handler handler, std::function<void(int)> early_error)
    : impl_(std::make_unique<Impl>()) {
  impl_->state->config = std::move(config);
  impl_->state->handler = std::move(handler);
  impl_->state->early_error = std::move(early_error);
}

HttpServer::~HttpServer() {
  if (!impl_->threads.empty()) shutdown(std::chrono::milliseconds(0));
}

void HttpServer::start() {
  const auto& config = impl_->state->config;
  beast::error_code ec;
  auto address = net::ip::make_address(config.host, ec);
  if (ec) throw std::runtime_error("server.host: \"" + config.host + "\" is not an IP address");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(config.port));
  impl_->acceptor.emplace(impl_->io);
  impl_->acceptor->open(endpoint.protocol());
  impl_->acceptor->set_option(net::socket_base::reuse_address(true));
  impl_->acceptor->bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " + ec.message());
  impl_->acceptor->listen(net::socket_base::max_listen_connections);
  impl_->port = impl_->acceptor->local_endpoint().port();
  impl_->accept();
  for (int i = 0; i < config.threads; ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  impl_->state->stopping = true;
  net::post(impl_->io, [this] {
    beast::error_code ec;
    if (impl_->acceptor) impl_->acceptor->close(ec);
  });
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (auto& weak : impl_->sessions) {
      if (auto session = weak.lock()) session->close_if_idle();
    }
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->state->busy > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

size_t HttpServer::open_connections() const { return impl_->state->open; }
size_t HttpServer::busy_connections() const { return impl_->state->busy; }

}  // namespace warden::gateway
