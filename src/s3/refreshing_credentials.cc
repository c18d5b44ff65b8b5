// RefreshingCredentialsProvider: cached temporary credentials, refreshed before they expire.
#include "s3fs/common/log.h"
#include "s3fs/s3/temporary_credentials.h"
#include "s3fs/s3/xml.h"

namespace s3fs::s3 {

namespace {

bool Expires(const Credentials& c) {
  return c.expiration != std::chrono::system_clock::time_point{};
}

}  // namespace

RefreshingCredentialsProvider::RefreshingCredentialsProvider(
    std::shared_ptr<CredentialsProvider> source, std::shared_ptr<Clock> clock,
    RefreshOptions options)
    : source_(std::move(source)), clock_(std::move(clock)), options_(options) {}

RefreshingCredentialsProvider::~RefreshingCredentialsProvider() {
  if (background_.joinable()) background_.join();
}

void RefreshingCredentialsProvider::Store(S3Result<Credentials> fetched) {
  next_attempt_ = clock_->Monotonic() + options_.retry_interval;
  auto now = clock_->Now();
  if (fetched.ok() && Expires(*fetched) && fetched->expiration <= now) {
    fetched = Fail(CredentialsError(
        "CredentialsExpired", source_->Describe() + ": answered credentials that expired at " +
                                  xml::FormatIso8601(fetched->expiration)));
  }
  if (fetched.ok()) {
    if (creds_) {
      S3FS_LOG_INFO("credentials from {} refreshed{}", source_->Describe(),
                    Expires(*fetched) ? ", valid until " + xml::FormatIso8601(fetched->expiration)
                                      : std::string());
    }
    creds_ = std::move(fetched).value();
    last_error_.reset();
    return;
  }
  last_error_ = std::move(fetched).error();
  if (creds_ && (!Expires(*creds_) || now < creds_->expiration)) {
    S3FS_LOG_WARN("refreshing credentials failed, the current ones stay in use until {}: {}",
                  xml::FormatIso8601(creds_->expiration), last_error_->message);
  }
}

void RefreshingCredentialsProvider::Refresh(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  auto fetched = source_->Get();
  lock.lock();
  Store(std::move(fetched));
  refreshing_ = false;
  cv_.notify_all();
}

S3Result<Credentials> RefreshingCredentialsProvider::Get() {
  std::unique_lock lock(mu_);
  while (true) {
    auto now = clock_->Now();
    bool valid = creds_ && (!Expires(*creds_) || now < creds_->expiration);
    bool fresh = valid && (!Expires(*creds_) || now + options_.refresh_before < creds_->expiration);
    if (fresh) return *creds_;
    bool may_try = !refreshing_ && clock_->Monotonic() >= next_attempt_;
    if (valid) {
      // Within refresh_before of expiry: one refresh, everyone keeps the current credentials.
      if (may_try) {
        refreshing_ = true;
        if (options_.background) {
          if (background_.joinable()) background_.join();  // finished: refreshing_ was false
          background_ = std::thread([this] {
            std::unique_lock l(mu_);
            Refresh(l);
          });
        } else {
          Refresh(lock);
          continue;
        }
      }
      return *creds_;
    }
    if (refreshing_) {
      cv_.wait(lock, [this] { return !refreshing_; });
      continue;
    }
    if (!may_try) {
      S3Error e = last_error_ ? *last_error_
                              : CredentialsError("CredentialsNotFound",
                                                 source_->Describe() + ": no credentials");
      if (creds_) {
        e.kind = "CredentialsExpired";
        e.message = "credentials expired at " + xml::FormatIso8601(creds_->expiration) +
                    " and refreshing them failed: " + e.message;
      }
      return Fail(std::move(e));
    }
    refreshing_ = true;
    Refresh(lock);
  }
}

}  // namespace s3fs::s3
