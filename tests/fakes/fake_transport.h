// FakeTransport: an http::Transport for unit tests. Records every request and answers from a
// script (a queue of responses or transport errors, or a handler function). Completions are
// invoked synchronously on the calling thread; delayed sends are recorded and answered at once
// (the delay is kept in delays() so tests can assert backoff without sleeping).
#ifndef S3FS_TESTS_FAKES_FAKE_TRANSPORT_H_
#define S3FS_TESTS_FAKES_FAKE_TRANSPORT_H_

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "s3fs/http/transport.h"

namespace s3fs::testing {

struct RecordedRequest {
  http::Method method;
  std::string url;
  http::Headers headers;
  std::string body;
};

class FakeTransport final : public http::Transport {
 public:
  using Answer = Result<http::Response, http::TransportError>;
  using Handler = std::function<Answer(const RecordedRequest&)>;

  void SendAsync(http::Request request, http::Completion done,
                 std::chrono::milliseconds delay) override {
    RecordedRequest rec{request.method, request.url, request.headers, {}};
    if (request.body) rec.body = *request.body;
    if (request.body_source) {
      request.body_source->Rewind();
      char buf[4096];
      int64_t n;
      while ((n = request.body_source->Read(buf, sizeof buf)) > 0) {
        rec.body.append(buf, static_cast<size_t>(n));
      }
    }
    Answer answer = Next(rec);
    {
      std::lock_guard lock(mu_);
      requests_.push_back(rec);
      delays_.push_back(delay);
    }
    if (answer.ok() && request.sink != nullptr && answer->status >= 200 && answer->status < 300) {
      http::Response r = std::move(answer).value();
      r.bytes_received = r.body.size();
      if (!request.sink->Write(r.body.data(), r.body.size())) {
        done(Fail(http::TransportError{http::TransportError::Kind::kAborted, "sink", 0}));
        return;
      }
      r.body.clear();
      done(std::move(r));
      return;
    }
    if (answer.ok()) {
      http::Response r = std::move(answer).value();
      if (r.bytes_received == 0) r.bytes_received = r.body.size();
      done(std::move(r));
      return;
    }
    done(std::move(answer));
  }

  // An HTTP answer, for handlers.
  static Answer Reply(int status, std::string body = "") {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    return Answer(std::move(r));
  }

  // Queues one answer (used before the handler).
  void Push(int status, std::string body = "", http::Headers headers = {}) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    std::lock_guard lock(mu_);
    queue_.push_back(Answer(std::move(r)));
  }
  void PushError(http::TransportError::Kind kind, std::string message = "fake failure") {
    std::lock_guard lock(mu_);
    queue_.push_back(Answer(Fail(http::TransportError{kind, std::move(message), 0})));
  }
  void SetHandler(Handler h) {
    std::lock_guard lock(mu_);
    handler_ = std::move(h);
  }
  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<std::chrono::milliseconds> delays() const {
    std::lock_guard lock(mu_);
    return delays_;
  }
  RecordedRequest last() const {
    std::lock_guard lock(mu_);
    return requests_.back();
  }

 private:
  Answer Next(const RecordedRequest& rec) {
    std::unique_lock lock(mu_);
    if (!queue_.empty()) {
      Answer a = std::move(queue_.front());
      queue_.pop_front();
      return a;
    }
    if (handler_) {
      Handler h = handler_;
      lock.unlock();
      return h(rec);
    }
    http::Response ok;
    ok.status = 200;
    return Answer(std::move(ok));
  }

  mutable std::mutex mu_;
  std::deque<Answer> queue_;
  Handler handler_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::chrono::milliseconds> delays_;
};

}  // namespace s3fs::testing

#endif  // S3FS_TESTS_FAKES_FAKE_TRANSPORT_H_
