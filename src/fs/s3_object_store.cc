// ObjectStore over s3::Client: parallel HEADs on the client's async API, multipart transfers
// through s3/transfer.h.
#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include "s3fs/common/log.h"
#include "s3fs/fs/object_store.h"
#include "s3fs/s3/validate.h"

namespace s3fs::fs {
namespace {

// Appends a GET's body to a caller-owned string, refusing (aborting the transfer) beyond `cap`
// bytes: a server that ignored a Range header is not read to the end.
class AppendSink final : public http::BodySink {
 public:
  explicit AppendSink(std::string* dst, uint64_t cap = UINT64_MAX) : dst_(dst), cap_(cap) {}
  bool Write(const char* data, size_t n) override {
    if (n > cap_ - dst_->size()) return false;
    dst_->append(data, n);
    return true;
  }

 private:
  std::string* dst_;
  uint64_t cap_;
};

ObjectMeta FromInfo(const std::string& key, const s3::ObjectInfo& info) {
  ObjectMeta m;
  m.key = key;
  m.size = info.content_length;
  m.etag = info.etag;
  m.last_modified = info.last_modified;
  m.content_type = info.content_type;
  m.storage_class = info.storage_class;
  m.sse = info.sse;
  m.sse_kms_key_id = info.sse_kms_key_id;
  m.sse_customer_algorithm = info.sse_customer_algorithm;
  m.version_id = info.version_id;
  m.tag_count = info.tag_count.value_or(0);
  m.metadata = info.metadata;
  m.has_metadata = true;
  return m;
}

// Whether a ranged GET's answer tells the object's size: a 206 with a numeric total in its
// Content-Range, or a whole-object 200 whose Content-Length is the `received` bytes (not a
// chunked answer without one).
bool KnowsSize(const s3::ObjectInfo& info, uint64_t received) {
  if (!info.content_range.empty()) {
    return info.content_range.back() != '*' && info.object_size >= received;
  }
  return info.content_length == received;
}

// A multipart session whose life is recorded in the upload journal.
class JournaledSession final : public write::MultipartSession {
 public:
  JournaledSession(std::unique_ptr<write::MultipartSession> inner,
                   std::shared_ptr<meta::UploadJournal> journal)
      : inner_(std::move(inner)), journal_(std::move(journal)) {
    journal_->Begin(inner_->upload_id(), inner_->key());
  }
  const std::string& key() const override { return inner_->key(); }
  const std::string& upload_id() const override { return inner_->upload_id(); }
  void UploadPartAsync(uint32_t number, int fd, uint64_t offset, uint64_t len,
                       write::PartDone done) override {
    inner_->UploadPartAsync(number, fd, offset, len, std::move(done));
  }
  void CopyPartAsync(uint32_t number, const std::string& source_key, const std::string& source_etag,
                     uint64_t offset, uint64_t len, write::PartDone done) override {
    inner_->CopyPartAsync(number, source_key, source_etag, offset, len, std::move(done));
  }
  S3Result<std::string> Complete(const std::vector<s3::CompletedPart>& parts) override {
    auto r = inner_->Complete(parts);
    if (r.ok()) journal_->End(upload_id());
    return r;
  }
  S3Status Abort() override {
    auto r = inner_->Abort();
    if (r.ok() || r.error().kind == "NoSuchUpload") journal_->End(upload_id());
    return r;
  }

 private:
  std::unique_ptr<write::MultipartSession> inner_;
  std::shared_ptr<meta::UploadJournal> journal_;
};

class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(s3::Client* client, S3ObjectStoreOptions options)
      : client_(client), o_(std::move(options)) {}

  S3Result<ObjectMeta> Head(const std::string& key) override {
    s3::HeadObjectRequest req;
    req.bucket = o_.bucket;
    req.key = key;
    req.sse = ReadSseFor(key);
    auto info = client_->HeadObject(req);
    if (!info.ok() && WrongKey(info.error())) {
      // Another SSE-C key of the key file (or none) may open it.
      for (int k = -1; k <= static_cast<int>(o_.older_read_keys.size()); ++k) {
        req.sse = KeyAt(k);
        if (SameKey(req.sse, ReadSseFor(key))) continue;
        auto again = client_->HeadObject(req);
        if (again.ok()) {
          RememberKey(key, k);
          info = std::move(again);
          break;
        }
        if (!WrongKey(again.error())) return Fail(std::move(again).error());
      }
    }
    if (!info.ok()) return Fail(std::move(info).error());
    return FromInfo(key, *info);
  }

  std::vector<S3Result<ObjectMeta>> HeadMany(const std::vector<std::string>& keys) override {
    return HeadManyImpl(keys, 0, nullptr);
  }

  std::vector<S3Result<ObjectMeta>> HeadManyFirstBytes(const std::vector<std::string>& keys,
                                                       uint64_t first_bytes,
                                                       std::string* first) override {
    first->clear();
    return HeadManyImpl(keys, first_bytes, first);
  }

  // HeadMany; with `first_bytes` > 0, keys[0] is a ranged GET of that many bytes into *first.
  std::vector<S3Result<ObjectMeta>> HeadManyImpl(const std::vector<std::string>& keys,
                                                 uint64_t first_bytes, std::string* first) {
    std::vector<std::optional<S3Result<ObjectMeta>>> results(keys.size());
    bool get_failed = false;  // the GET of keys[0] could not answer: HEAD it instead
    std::mutex mu;
    std::condition_variable cv;
    size_t in_flight = 0;
    size_t next = 0;
    size_t done = 0;
    const size_t limit = static_cast<size_t>(std::max(1, o_.head_concurrency));
    std::unique_lock lock(mu);
    while (next < keys.size()) {
      cv.wait(lock, [&] { return in_flight < limit; });
      size_t i = next++;
      ++in_flight;
      lock.unlock();  // the callback may run on this thread (validation failure)
      if (i == 0 && first_bytes > 0 && first != nullptr) {
        // Headers of the object plus its first bytes, in the time of a HEAD.
        auto sink = std::make_shared<AppendSink>(first, first_bytes);
        client_->GetObjectAsync(
            RangeGet(keys[0], 0, first_bytes, ""), sink.get(),
            [&, sink](S3Result<s3::GetObjectOutput> r) {
              std::lock_guard g(mu);
              if (r.ok() && KnowsSize(r->info, first->size())) {
                ObjectMeta m = FromInfo(keys[0], r->info);
                m.size = r->info.object_size;
                results[0] = std::move(m);
              } else if (r.ok()) {
                get_failed = true;  // the object's size is not known from it: a HEAD tells
                results[0] = Fail(s3::S3Error{});
              } else if (r.error().kind == "ObjectNotFound" || r.error().kind == "BucketNotFound") {
                results[0] = Fail(std::move(r).error());
              } else {
                // 416 (empty object), archived, SSE-C key, refused body...
                get_failed = true;
                results[0] = Fail(std::move(r).error());
              }
              --in_flight;
              ++done;
              cv.notify_all();
            });
        lock.lock();
        continue;
      }
      s3::HeadObjectRequest req;
      req.bucket = o_.bucket;
      req.key = keys[i];
      req.sse = ReadSseFor(keys[i]);
      client_->HeadObjectAsync(req, [&, i](S3Result<s3::ObjectInfo> r) {
        S3Result<ObjectMeta> out = r.ok() ? S3Result<ObjectMeta>(FromInfo(keys[i], *r))
                                          : S3Result<ObjectMeta>(Fail(std::move(r).error()));
        std::lock_guard g(mu);
        results[i] = std::move(out);
        --in_flight;
        ++done;
        cv.notify_all();
      });
      lock.lock();
    }
    cv.wait(lock, [&] { return done == keys.size(); });
    lock.unlock();
    std::vector<S3Result<ObjectMeta>> out;
    out.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      auto& r = *results[i];
      if (i == 0 && get_failed) {
        first->clear();
        out.push_back(Head(keys[0]));
        continue;
      }
      // Objects under another SSE-C key: the one-by-one path tries the other keys.
      if (!r.ok() && WrongKey(r.error()) && !o_.older_read_keys.empty()) {
        out.push_back(Head(keys[i]));
      } else {
        out.push_back(std::move(r));
      }
    }
    return out;
  }

  S3Result<ListPage> List(const std::string& prefix, const std::string& delimiter,
                          const std::string& token, uint32_t max_keys) override {
    s3::ListObjectsV2Request req;
    req.bucket = o_.bucket;
    req.prefix = prefix;
    req.delimiter = delimiter;
    req.continuation_token = token;
    if (max_keys > 0) req.max_keys = max_keys;
    S3FS_ASSIGN_OR_RETURN(auto out, client_->ListObjectsV2(req));
    ListPage page;
    page.truncated = out.is_truncated;
    page.next_token = out.next_continuation_token;
    page.prefixes = std::move(out.common_prefixes);
    page.objects.reserve(out.contents.size());
    for (auto& o : out.contents) {
      ObjectMeta m;
      m.key = std::move(o.key);
      m.size = o.size;
      m.etag = std::move(o.etag);
      m.last_modified = o.last_modified;
      m.storage_class = std::move(o.storage_class);
      page.objects.push_back(std::move(m));
    }
    return page;
  }

  S3Result<std::string> Read(const std::string& key, uint64_t offset, uint64_t len,
                             const std::string& etag) override {
    if (len == 0) return std::string();
    auto r = client_->GetObject(RangeGet(key, offset, len, etag));
    if (!r.ok()) {
      if (r.error().kind == "InvalidRange") return std::string();  // at or past the end
      return Fail(std::move(r).error());
    }
    return std::move(r->body);
  }

  void ReadAsync(const std::string& key, uint64_t offset, uint64_t len, const std::string& etag,
                 std::string* dst, ReadDone done) override {
    if (len == 0) return done(S3Status());
    // The body goes straight into the caller's buffer (no copy, no regrowth).
    auto sink = std::make_shared<AppendSink>(dst);
    client_->GetObjectAsync(RangeGet(key, offset, len, etag), sink.get(),
                            [sink, done = std::move(done)](S3Result<s3::GetObjectOutput> r) {
                              if (r.ok() || r.error().kind == "InvalidRange") {
                                return done(S3Status());  // InvalidRange: at or past the end
                              }
                              done(Fail(std::move(r).error()));
                            });
  }

  S3Result<std::string> Put(const std::string& key, std::string body,
                            const WriteAttrs& attrs) override {
    s3::PutObjectRequest req = MakePut(key, attrs);
    S3FS_ASSIGN_OR_RETURN(auto out, client_->PutObject(req, std::move(body)));
    return out.etag;
  }

  S3Result<std::string> PutFile(const std::string& key, int fd, uint64_t size,
                                const WriteAttrs& attrs) override {
    s3::FdSource src(fd, size);
    s3::TransferOptions t;
    t.multipart_threshold = o_.multipart_threshold;
    t.part_size = o_.part_size;
    t.max_parts = o_.max_parts;
    t.concurrency = o_.parallel;
    if (o_.journal) {
      t.multipart_started = [this, &key](const std::string& id) { o_.journal->Begin(id, key); };
      t.multipart_ended = [this](const std::string& id) { o_.journal->End(id); };
    }
    S3FS_ASSIGN_OR_RETURN(auto out, s3::Upload(*client_, MakePut(key, attrs), src, t));
    return out.etag;
  }

  S3Result<std::unique_ptr<write::MultipartSession>> StartMultipart(
      const std::string& key, const WriteAttrs& attrs) override {
    s3::PutObjectRequest put = MakePut(key, attrs);
    s3::CreateMultipartUploadRequest create;
    create.bucket = put.bucket;
    create.key = put.key;
    create.attrs = put.attrs;
    create.sse = put.sse;
    // The store outlives every session (the filesystem owns both; sessions end first).
    S3FS_ASSIGN_OR_RETURN(auto session,
                          write::StartS3Multipart(client_, create, [this](const std::string& from) {
                            return ReadSseFor(from);
                          }));
    if (o_.journal) {
      session = std::make_unique<JournaledSession>(std::move(session), o_.journal);
    }
    return session;
  }

  S3Result<uint64_t> GetToFile(const std::string& key, int fd, const std::string& etag) override {
    s3::FdSink sink(fd);
    s3::GetObjectRequest req;
    req.bucket = o_.bucket;
    req.key = key;
    req.conditions.if_match = etag;
    req.sse = ReadSseFor(key);
    s3::TransferOptions t;
    t.part_size = o_.part_size;
    t.max_parts = o_.max_parts;
    t.concurrency = o_.parallel;
    S3FS_ASSIGN_OR_RETURN(auto out, s3::Download(*client_, req, sink, t));
    return out.bytes;
  }

  S3Status Copy(const std::string& from, const std::string& to, uint64_t size,
                const WriteAttrs* replace) override {
    if (size <= s3::kMaxPutSize) {
      s3::CopyObjectRequest req;
      req.source_bucket = o_.bucket;
      req.source_key = from;
      req.bucket = o_.bucket;
      req.key = to;
      req.source_sse = ReadSseFor(from);
      if (replace != nullptr) {
        req.metadata_directive = s3::CopyObjectRequest::Directive::kReplace;
        req.attrs.content_type = replace->content_type;
        req.attrs.metadata = replace->metadata;
        req.attrs.storage_class = replace->storage_class;
        req.sse = replace->sse;

      } else {
        req.sse = o_.read_sse.kind == s3::Sse::Kind::kCustomer ? o_.read_sse : s3::Sse{};
      }
      S3FS_RETURN_IF_ERROR(client_->CopyObject(req));
      return {};
    }
    return MultipartCopy(from, to, size, replace);
  }

  S3Status Delete(const std::string& key) override {
    S3FS_RETURN_IF_ERROR(client_->DeleteObject({o_.bucket, key, ""}));
    return {};
  }

  S3Status DeleteMany(const std::vector<std::string>& keys) override {
    for (size_t i = 0; i < keys.size(); i += s3::kMaxDeleteObjects) {
      s3::DeleteObjectsRequest req;
      req.bucket = o_.bucket;
      req.quiet = true;
      for (size_t k = i; k < std::min(keys.size(), i + s3::kMaxDeleteObjects); ++k) {
        req.objects.push_back({keys[k], ""});
      }
      S3FS_ASSIGN_OR_RETURN(auto out, client_->DeleteObjects(req));
      if (!out.errors.empty()) {
        const auto& e = out.errors.front();
        s3::S3Error err;
        err.category = s3::Category::kObject;
        err.kind = e.code == "AccessDenied" ? "AccessDenied" : "DeleteFailed";
        err.s3_code = e.code;
        err.message = "delete of " + e.key + " failed: " + e.message;
        return Fail(std::move(err));
      }
    }
    return {};
  }

  S3Result<std::vector<s3::Tag>> GetTags(const std::string& key) override {
    S3FS_ASSIGN_OR_RETURN(auto out, client_->GetObjectTagging(o_.bucket, key));
    return std::move(out.tags);
  }

  S3Status PutTags(const std::string& key, const std::vector<s3::Tag>& tags) override {
    return client_->PutObjectTagging(o_.bucket, key, tags);
  }

  S3Status DeleteTags(const std::string& key) override {
    return client_->DeleteObjectTagging(o_.bucket, key);
  }

  S3Result<std::string> PresignGet(const std::string& key, std::chrono::seconds expires) override {
    s3::PresignRequest req;
    req.op = s3::PresignRequest::Op::kGet;
    req.bucket = o_.bucket;
    req.key = key;
    req.expires_in = expires;
    S3FS_ASSIGN_OR_RETURN(auto url, client_->Presign(req));
    return std::move(url.url);
  }

 private:
  // SSE-C key index: -1 none, 0 the mount's key, i >= 1 older_read_keys[i - 1].
  s3::Sse KeyAt(int k) const {
    if (k < 0) return s3::Sse{};
    if (k == 0) return o_.read_sse;
    return o_.older_read_keys[static_cast<size_t>(k - 1)];
  }
  static bool SameKey(const s3::Sse& a, const s3::Sse& b) {
    return a.kind == b.kind && a.customer_key == b.customer_key;
  }
  // A wrong or missing SSE-C key answers 400 or 403, never 404.
  bool WrongKey(const s3::S3Error& e) const {
    bool keyed = o_.read_sse.kind == s3::Sse::Kind::kCustomer || !o_.older_read_keys.empty();
    return keyed && (e.http_status == 400 || e.http_status == 403);
  }
  s3::GetObjectRequest RangeGet(const std::string& key, uint64_t offset, uint64_t len,
                                const std::string& etag) {
    s3::GetObjectRequest req;
    req.bucket = o_.bucket;
    req.key = key;
    req.range = s3::ByteRange{offset, offset + len - 1};
    req.conditions.if_match = etag;
    req.sse = ReadSseFor(key);
    return req;
  }

  s3::Sse ReadSseFor(const std::string& key) {
    if (o_.older_read_keys.empty()) return o_.read_sse;
    std::lock_guard lock(keys_mu_);
    auto it = key_index_.find(key);
    return KeyAt(it == key_index_.end() ? 0 : it->second);
  }
  void RememberKey(const std::string& key, int k) {
    std::lock_guard lock(keys_mu_);
    if (key_index_.size() > 100000) key_index_.clear();
    key_index_[key] = k;
  }

  s3::PutObjectRequest MakePut(const std::string& key, const WriteAttrs& attrs) const {
    s3::PutObjectRequest req;
    req.bucket = o_.bucket;
    req.key = key;
    req.attrs.content_type = attrs.content_type;
    req.attrs.metadata = attrs.metadata;
    req.attrs.storage_class = attrs.storage_class;
    if (!attrs.tags.empty()) req.attrs.tagging = s3::EncodeTagging(attrs.tags);
    req.sse = attrs.sse;
    return req;
  }

  S3Status MultipartCopy(const std::string& from, const std::string& to, uint64_t size,
                         const WriteAttrs* replace) {
    S3FS_ASSIGN_OR_RETURN(auto src, Head(from));
    s3::CreateMultipartUploadRequest create;
    create.bucket = o_.bucket;
    create.key = to;
    if (replace != nullptr) {
      create.attrs.content_type = replace->content_type;
      create.attrs.metadata = replace->metadata;
      create.attrs.storage_class = replace->storage_class;
      create.sse = replace->sse;
    } else {
      create.attrs.content_type = src.content_type;
      create.attrs.metadata = src.metadata;
      create.attrs.storage_class = src.storage_class;
    }
    S3FS_ASSIGN_OR_RETURN(auto up, client_->CreateMultipartUpload(create));
    if (o_.journal) o_.journal->Begin(up.upload_id, to);
    // Ends the journal entry when the upload is gone (completed or aborted).
    auto ended = [&] {
      if (o_.journal) o_.journal->End(up.upload_id);
    };
    const uint64_t part = s3::ChoosePartSize(size, 512ULL << 20, o_.max_parts);
    std::vector<s3::CompletedPart> parts;
    for (uint64_t off = 0, n = 1; off < size; off += part, ++n) {
      s3::UploadPartCopyRequest pc;
      pc.source_bucket = o_.bucket;
      pc.source_key = from;
      pc.source_range = s3::ByteRange{off, std::min(size, off + part) - 1};
      pc.source_conditions.if_match = src.etag;
      pc.source_sse = ReadSseFor(from);
      pc.bucket = o_.bucket;
      pc.key = to;
      pc.upload_id = up.upload_id;
      pc.part_number = static_cast<uint32_t>(n);
      auto r = client_->UploadPartCopy(pc);
      if (!r.ok()) {
        if (client_->AbortMultipartUpload({o_.bucket, to, up.upload_id}).ok()) ended();
        return Fail(std::move(r).error());
      }
      parts.push_back({static_cast<uint32_t>(n), r->etag, ""});
    }
    auto done = client_->CompleteMultipartUpload({o_.bucket, to, up.upload_id, parts, {}, {}});
    if (!done.ok()) {
      if (client_->AbortMultipartUpload({o_.bucket, to, up.upload_id}).ok()) ended();
      return Fail(std::move(done).error());
    }
    ended();
    return {};
  }

  s3::Client* client_;
  S3ObjectStoreOptions o_;
  std::mutex keys_mu_;
  std::unordered_map<std::string, int> key_index_;  // objects not under the mount's key
};

}  // namespace

std::shared_ptr<ObjectStore> MakeS3ObjectStore(s3::Client* client, S3ObjectStoreOptions options) {
  return std::make_shared<S3ObjectStore>(client, std::move(options));
}

}  // namespace s3fs::fs
