// FakeObjectStore: an in-memory ObjectStore for filesystem unit tests. Keeps objects in a
// sorted map (so listings behave like S3's), counts calls per operation, and can inject a
// failure into the next N calls of one operation. Multipart uploads started with
// StartMultipart keep their parts until Complete (the object appears) or Abort.
#ifndef S3FS_TESTS_FAKES_FAKE_OBJECT_STORE_H_
#define S3FS_TESTS_FAKES_FAKE_OBJECT_STORE_H_

#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "s3fs/fs/object_store.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/validate.h"

namespace s3fs::testing {

class FakeObjectStore final : public fs::ObjectStore {
 public:
  struct Object {
    std::string body;
    fs::ObjectMeta meta;
    std::vector<s3::Tag> tags;
  };

  // Puts an object directly (as another client would).
  void Seed(const std::string& key, std::string body,
            std::map<std::string, std::string> metadata = {}, std::string content_type = "") {
    std::lock_guard lock(mu_);
    fs::WriteAttrs w;
    w.metadata = std::move(metadata);
    w.content_type = std::move(content_type);
    PutLocked(key, std::move(body), w);
  }
  // Another client's metadata-only change (a self-copy): S3 keeps the ETag of a single-part
  // object and moves LastModified.
  void ReplaceMetadata(const std::string& key, std::map<std::string, std::string> metadata,
                       s3::TimePoint last_modified) {
    std::lock_guard lock(mu_);
    auto& o = objects_.at(key);
    o.meta.metadata = std::move(metadata);
    o.meta.last_modified = last_modified;
  }
  bool Has(const std::string& key) {
    std::lock_guard lock(mu_);
    return objects_.count(key) > 0;
  }
  std::string Body(const std::string& key) {
    std::lock_guard lock(mu_);
    return objects_.at(key).body;
  }
  std::map<std::string, std::string> Meta(const std::string& key) {
    std::lock_guard lock(mu_);
    return objects_.at(key).meta.metadata;
  }
  std::string ContentType(const std::string& key) {
    std::lock_guard lock(mu_);
    return objects_.at(key).meta.content_type;
  }
  size_t Count() {
    std::lock_guard lock(mu_);
    return objects_.size();
  }
  int Calls(const std::string& op) {
    std::lock_guard lock(mu_);
    return calls_[op];
  }
  int TotalCalls() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto& [k, v] : calls_) n += v;
    return n;
  }
  void ResetCalls() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }
  // The next `times` calls of `op` fail with `error`.
  void FailNext(const std::string& op, s3::S3Error error, int times = 1) {
    std::lock_guard lock(mu_);
    failures_[op] = {std::move(error), times};
  }

  s3::S3Result<fs::ObjectMeta> Head(const std::string& key) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("Head")) return Fail(*e);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Fail(NotFound(key));
    fs::ObjectMeta m = it->second.meta;
    m.tag_count = static_cast<uint32_t>(it->second.tags.size());
    return m;
  }

  std::vector<s3::S3Result<fs::ObjectMeta>> HeadMany(
      const std::vector<std::string>& keys) override {
    std::vector<s3::S3Result<fs::ObjectMeta>> out;
    for (const auto& k : keys) out.push_back(Head(k));
    return out;
  }

  // keys[0] as a ranged GET (counted as "HeadFirstBytes"): its first bytes come with the
  // answer, except for an empty object (S3 answers 416; the fallback HEAD is counted too).
  std::vector<s3::S3Result<fs::ObjectMeta>> HeadManyFirstBytes(const std::vector<std::string>& keys,
                                                               uint64_t first_bytes,
                                                               std::string* first) override {
    first->clear();
    std::vector<s3::S3Result<fs::ObjectMeta>> out;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i == 0 && first_bytes > 0) {
        std::unique_lock lock(mu_);
        if (auto e = Injected("HeadFirstBytes")) {
          out.push_back(Fail(*e));
          continue;
        }
        auto it = objects_.find(keys[0]);
        if (it != objects_.end() && !it->second.body.empty()) {
          fs::ObjectMeta m = it->second.meta;
          m.tag_count = static_cast<uint32_t>(it->second.tags.size());
          *first = it->second.body.substr(0, first_bytes);
          out.push_back(std::move(m));
          continue;
        }
        const bool missing = it == objects_.end();
        lock.unlock();
        if (missing) {
          out.push_back(Fail(NotFound(keys[0])));
          continue;
        }
      }
      out.push_back(Head(keys[i]));
    }
    return out;
  }

  s3::S3Result<fs::ListPage> List(const std::string& prefix, const std::string& delimiter,
                                  const std::string& token, uint32_t max_keys) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("List")) return Fail(*e);
    fs::ListPage page;
    uint32_t limit = max_keys == 0 ? 1000 : max_keys;
    uint32_t n = 0;
    std::string last_prefix;
    for (auto it = objects_.lower_bound(token.empty() ? prefix : token); it != objects_.end();
         ++it) {
      const std::string& key = it->first;
      if (key.compare(0, prefix.size(), prefix) != 0) break;
      if (!token.empty() && key == token) continue;
      if (!delimiter.empty()) {
        size_t d = key.find(delimiter, prefix.size());
        if (d != std::string::npos) {
          std::string p = key.substr(0, d + delimiter.size());
          if (p == last_prefix) continue;
          if (n == limit) {
            page.truncated = true;
            break;
          }
          last_prefix = p;
          page.prefixes.push_back(p);
          page.next_token = key;
          ++n;
          continue;
        }
      }
      if (n == limit) {
        page.truncated = true;
        break;
      }
      fs::ObjectMeta m = it->second.meta;
      m.metadata.clear();
      m.content_type.clear();
      m.has_metadata = false;
      page.objects.push_back(m);
      page.next_token = key;
      ++n;
    }
    if (!page.truncated) page.next_token.clear();
    // Continuing after a common prefix must skip the whole prefix.
    if (page.truncated && !page.prefixes.empty() && page.next_token.size() > 0 &&
        !delimiter.empty()) {
      const std::string& lp = page.prefixes.back();
      if (page.next_token.compare(0, lp.size(), lp) == 0) page.next_token = lp + "\xff";
    }
    return page;
  }

  s3::S3Result<std::string> Read(const std::string& key, uint64_t offset, uint64_t len,
                                 const std::string& etag) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("Read")) return Fail(*e);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Fail(NotFound(key));
    if (!etag.empty() && etag != it->second.meta.etag) {
      s3::S3Error e;
      e.category = s3::Category::kObject;
      e.kind = "PreconditionFailed";
      e.http_status = 412;
      return Fail(e);
    }
    bytes_read_ += std::min<uint64_t>(
        len, it->second.body.size() > offset ? it->second.body.size() - offset : 0);
    if (offset >= it->second.body.size()) return std::string();
    return it->second.body.substr(offset, len);
  }

  // While held, Put and PutFile wait (an upload in flight, for tests of what runs meanwhile).
  void HoldUploads(bool on) {
    {
      std::lock_guard lock(hold_mu_);
      hold_ = on;
    }
    hold_cv_.notify_all();
  }
  // Uploads waiting in HoldUploads now.
  int HeldUploads() {
    std::lock_guard lock(hold_mu_);
    return held_;
  }

  s3::S3Result<std::string> Put(const std::string& key, std::string body,
                                const fs::WriteAttrs& attrs) override {
    WaitWhileHeld();
    std::lock_guard lock(mu_);
    if (auto e = Injected("Put")) return Fail(*e);
    return PutLocked(key, std::move(body), attrs);
  }

  s3::S3Result<std::string> PutFile(const std::string& key, int fd, uint64_t size,
                                    const fs::WriteAttrs& attrs) override {
    WaitWhileHeld();
    std::string body(size, '\0');
    if (size > 0 && ::pread(fd, body.data(), size, 0) != static_cast<ssize_t>(size)) {
      return Fail(s3::ValidationError("ValidationError", "short read"));
    }
    std::lock_guard lock(mu_);
    if (auto e = Injected("PutFile")) return Fail(*e);
    return PutLocked(key, std::move(body), attrs);
  }

  s3::S3Result<std::unique_ptr<write::MultipartSession>> StartMultipart(
      const std::string& key, const fs::WriteAttrs& attrs) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("StartMultipart")) return Fail(*e);
    std::string id = "upload-" + std::to_string(++version_);
    uploads_[id] = Upload{key, attrs, {}};
    return std::unique_ptr<write::MultipartSession>(new Session(this, key, id));
  }
  // Multipart uploads started and neither completed nor aborted.
  size_t OpenUploads() {
    std::lock_guard lock(mu_);
    return uploads_.size();
  }
  uint64_t PartBytes() {
    std::lock_guard lock(mu_);
    return part_bytes_;
  }
  // Bytes copied server-side by UploadPartCopy.
  uint64_t CopiedBytes() {
    std::lock_guard lock(mu_);
    return copied_bytes_;
  }

  s3::S3Result<uint64_t> GetToFile(const std::string& key, int fd,
                                   const std::string& etag) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("GetToFile")) return Fail(*e);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Fail(NotFound(key));
    if (!etag.empty() && etag != it->second.meta.etag) {
      s3::S3Error e;
      e.kind = "PreconditionFailed";
      return Fail(e);
    }
    const std::string& b = it->second.body;
    if (!b.empty() && ::pwrite(fd, b.data(), b.size(), 0) != static_cast<ssize_t>(b.size())) {
      return Fail(s3::ValidationError("ValidationError", "short write"));
    }
    return static_cast<uint64_t>(b.size());
  }

  s3::S3Status Copy(const std::string& from, const std::string& to, uint64_t,
                    const fs::WriteAttrs* replace) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("Copy")) return Fail(*e);
    auto it = objects_.find(from);
    if (it == objects_.end()) return Fail(NotFound(from));
    Object src = it->second;
    fs::WriteAttrs w;
    if (replace != nullptr) {
      w = *replace;
    } else {
      w.metadata = src.meta.metadata;
      w.content_type = src.meta.content_type;
    }
    PutLocked(to, src.body, w);
    // Tagging directive COPY, as S3's default; RGW drops them on a REPLACE copy.
    if (!(drop_tags_on_copy_ && replace != nullptr)) objects_[to].tags = src.tags;

    return {};
  }

  s3::S3Status Delete(const std::string& key) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("Delete")) return Fail(*e);
    objects_.erase(key);
    return {};
  }

  s3::S3Status DeleteMany(const std::vector<std::string>& keys) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("DeleteMany")) return Fail(*e);
    for (const auto& k : keys) objects_.erase(k);
    return {};
  }

  s3::S3Result<std::vector<s3::Tag>> GetTags(const std::string& key) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("GetTags")) return Fail(*e);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Fail(NotFound(key));
    return it->second.tags;
  }

  s3::S3Status PutTags(const std::string& key, const std::vector<s3::Tag>& tags) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("PutTags")) return Fail(*e);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Fail(NotFound(key));
    it->second.tags = tags;
    return {};
  }

  s3::S3Status DeleteTags(const std::string& key) override {
    std::lock_guard lock(mu_);
    if (auto e = Injected("DeleteTags")) return Fail(*e);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Fail(NotFound(key));
    it->second.tags.clear();
    return {};
  }

  s3::S3Result<std::string> PresignGet(const std::string& key,
                                       std::chrono::seconds expires) override {
    std::lock_guard lock(mu_);
    calls_["PresignGet"]++;
    return "https://fake.example/" + key + "?X-Amz-Expires=" + std::to_string(expires.count());
  }

  // Behave like RGW: a copy with REPLACE metadata loses the object's tags.
  void DropTagsOnCopy(bool on) {
    std::lock_guard lock(mu_);
    drop_tags_on_copy_ = on;
  }
  std::vector<s3::Tag> Tags(const std::string& key) {
    std::lock_guard lock(mu_);
    return objects_.at(key).tags;
  }
  std::string StorageClass(const std::string& key) {
    std::lock_guard lock(mu_);
    return objects_.at(key).meta.storage_class;
  }

  uint64_t bytes_read() {
    std::lock_guard lock(mu_);
    return bytes_read_;
  }

 private:
  struct Upload {
    std::string key;
    fs::WriteAttrs attrs;
    std::map<uint32_t, std::string> parts;
  };
  // Parts are read from the file and acknowledged synchronously (before UploadPartAsync
  // returns), which the streaming layer must tolerate.
  class Session final : public write::MultipartSession {
   public:
    Session(FakeObjectStore* store, std::string key, std::string id)
        : store_(store), key_(std::move(key)), id_(std::move(id)) {}
    const std::string& key() const override { return key_; }
    const std::string& upload_id() const override { return id_; }
    void UploadPartAsync(uint32_t number, int fd, uint64_t offset, uint64_t len,
                         write::PartDone done) override {
      std::string body(len, '\0');
      bool read_ok = len == 0 || ::pread(fd, body.data(), len, static_cast<off_t>(offset)) ==
                                     static_cast<ssize_t>(len);
      s3::S3Result<std::string> r = std::string();
      {
        std::lock_guard lock(store_->mu_);
        if (auto e = store_->Injected("UploadPart")) {
          r = Fail(*e);
        } else if (!read_ok) {
          r = Fail(s3::ValidationError("ValidationError", "short read"));
        } else if (!store_->uploads_.count(id_)) {
          r = Fail(NotFound(id_));
        } else {
          store_->part_bytes_ += len;
          store_->uploads_[id_].parts[number] = std::move(body);
          r = "\"part-" + std::to_string(number) + "\"";
        }
      }
      done(std::move(r));
    }
    void CopyPartAsync(uint32_t number, const std::string& source_key,
                       const std::string& source_etag, uint64_t offset, uint64_t len,
                       write::PartDone done) override {
      s3::S3Result<std::string> r = std::string();
      {
        std::lock_guard lock(store_->mu_);
        auto src = store_->objects_.find(source_key);
        if (auto e = store_->Injected("UploadPartCopy")) {
          r = Fail(*e);
        } else if (src == store_->objects_.end()) {
          r = Fail(NotFound(source_key));
        } else if (src->second.meta.etag != source_etag) {
          s3::S3Error pf;
          pf.kind = "PreconditionFailed";
          pf.http_status = 412;
          r = Fail(pf);
        } else if (offset + len > src->second.body.size()) {
          r = Fail(s3::ValidationError("InvalidRange", "copy range beyond the source"));
        } else if (!store_->uploads_.count(id_)) {
          r = Fail(NotFound(id_));
        } else {
          store_->copied_bytes_ += len;
          store_->uploads_[id_].parts[number] = src->second.body.substr(offset, len);
          r = "\"copy-" + std::to_string(number) + "\"";
        }
      }
      done(std::move(r));
    }
    s3::S3Result<std::string> Complete(const std::vector<s3::CompletedPart>& parts) override {
      std::lock_guard lock(store_->mu_);
      if (auto e = store_->Injected("CompleteMultipart")) return Fail(*e);
      auto it = store_->uploads_.find(id_);
      if (it == store_->uploads_.end()) return Fail(NotFound(id_));
      std::string body;
      for (const auto& p : parts) {
        auto part = it->second.parts.find(p.part_number);
        if (part == it->second.parts.end() || p.etag.empty()) {
          return Fail(s3::ValidationError("InvalidPart", "part missing"));
        }
        body += part->second;
      }
      Upload up = std::move(it->second);
      store_->uploads_.erase(it);
      return store_->PutLocked(up.key, std::move(body), up.attrs);
    }
    s3::S3Status Abort() override {
      std::lock_guard lock(store_->mu_);
      store_->Injected("AbortMultipart");
      store_->uploads_.erase(id_);
      return {};
    }

   private:
    FakeObjectStore* store_;
    std::string key_;
    std::string id_;
  };

  static s3::S3Error NotFound(const std::string& key) {
    s3::S3Error e;
    e.category = s3::Category::kObject;
    e.kind = "ObjectNotFound";
    e.http_status = 404;
    e.message = key;
    return e;
  }

  std::optional<s3::S3Error> Injected(const std::string& op) {
    calls_[op]++;
    auto it = failures_.find(op);
    if (it == failures_.end() || it->second.second <= 0) return std::nullopt;
    it->second.second--;
    return it->second.first;
  }

  void WaitWhileHeld() {
    std::unique_lock lock(hold_mu_);
    held_++;
    hold_cv_.wait(lock, [this] { return !hold_; });
    held_--;
  }

  std::string PutLocked(const std::string& key, std::string body, const fs::WriteAttrs& attrs) {
    Object o;
    o.meta.key = key;
    o.meta.size = body.size();
    o.meta.etag = "\"" + s3::crypto::HexEncode(s3::crypto::Md5(body)) + "-" +
                  std::to_string(++version_) + "\"";
    o.meta.last_modified = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    o.meta.metadata = attrs.metadata;
    o.meta.content_type = attrs.content_type;
    o.meta.storage_class = attrs.storage_class;
    o.meta.has_metadata = true;
    o.body = std::move(body);
    o.tags = attrs.tags;
    std::string etag = o.meta.etag;
    objects_[key] = std::move(o);
    return etag;
  }

  std::mutex hold_mu_;
  std::condition_variable hold_cv_;
  bool hold_ = false;
  int held_ = 0;
  std::mutex mu_;
  std::map<std::string, Object> objects_;
  bool drop_tags_on_copy_ = false;
  std::map<std::string, int> calls_;
  std::map<std::string, std::pair<s3::S3Error, int>> failures_;
  uint64_t version_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t part_bytes_ = 0;
  uint64_t copied_bytes_ = 0;
  std::map<std::string, Upload> uploads_;
};

}  // namespace s3fs::testing

#endif  // S3FS_TESTS_FAKES_FAKE_OBJECT_STORE_H_
