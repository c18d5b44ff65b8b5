// Object operations: Put, Get, Head, Delete, DeleteObjects, Copy, ListObjectsV2, tagging.
#include <algorithm>

#include "s3fs/common/strings.h"
#include "s3fs/s3/client.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/uri.h"
#include "s3fs/s3/validate.h"
#include "s3fs/s3/xml.h"

namespace s3fs::s3 {

std::string StripQuotes(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    return etag.substr(1, etag.size() - 2);
  }
  return etag;
}

S3Status ValidateSse(const Sse& sse) {
  if (sse.kind == Sse::Kind::kCustomer && sse.customer_key.size() != 32) {
    return Fail(ValidationError("ValidationError", "SSE-C key must be 32 bytes (AES-256), got " +
                                                       std::to_string(sse.customer_key.size())));
  }
  if (sse.kind == Sse::Kind::kKms) {
    for (char c : sse.kms_key_id) {
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) {
        return Fail(ValidationError("ValidationError", "KMS key id has non-printable characters"));
      }
    }
  }
  return {};
}

void AddSseHeaders(const Sse& sse, bool copy_source, http::Headers* h) {
  switch (sse.kind) {
    case Sse::Kind::kNone:
      break;
    case Sse::Kind::kS3:
      if (!copy_source) h->Set("x-amz-server-side-encryption", "AES256");
      break;
    case Sse::Kind::kKms:
      if (!copy_source) {
        h->Set("x-amz-server-side-encryption", "aws:kms");
        if (!sse.kms_key_id.empty()) {
          h->Set("x-amz-server-side-encryption-aws-kms-key-id", sse.kms_key_id);
        }
        if (!sse.kms_context.empty())
          h->Set("x-amz-server-side-encryption-context", sse.kms_context);
      }
      break;
    case Sse::Kind::kCustomer: {
      std::string prefix = copy_source ? "x-amz-copy-source-server-side-encryption-customer-"
                                       : "x-amz-server-side-encryption-customer-";
      h->Set(prefix + "algorithm", "AES256");
      h->Set(prefix + "key", crypto::Base64Encode(sse.customer_key.reveal()));
      h->Set(prefix + "key-MD5", crypto::Base64Encode(crypto::Md5(sse.customer_key.reveal())));
      break;
    }
  }
}

void AddAttributeHeaders(const ObjectAttributes& a, http::Headers* h) {
  if (!a.content_type.empty()) h->Set("Content-Type", a.content_type);
  if (!a.content_encoding.empty()) h->Set("Content-Encoding", a.content_encoding);
  if (!a.content_disposition.empty()) h->Set("Content-Disposition", a.content_disposition);
  if (!a.content_language.empty()) h->Set("Content-Language", a.content_language);
  if (!a.cache_control.empty()) h->Set("Cache-Control", a.cache_control);
  if (!a.expires.empty()) h->Set("Expires", a.expires);
  for (const auto& [k, v] : a.metadata) h->Set("x-amz-meta-" + str::ToLower(k), v);
  if (!a.storage_class.empty()) h->Set("x-amz-storage-class", a.storage_class);
  if (!a.acl.empty()) h->Set("x-amz-acl", a.acl);
  if (!a.tagging.empty()) h->Set("x-amz-tagging", a.tagging);
}

namespace {

S3Status ValidateAttributes(const ObjectAttributes& a) {
  S3FS_RETURN_IF_ERROR(ValidateMetadata(a.metadata));
  if (!a.tagging.empty()) S3FS_RETURN_IF_ERROR(DecodeTagging(a.tagging));
  return {};
}

void AddConditions(const ReadConditions& c, bool copy_source, http::Headers* h) {
  std::string p = copy_source ? "x-amz-copy-source-" : "";
  if (!c.if_match.empty()) h->Set(p + "If-Match", c.if_match);
  if (!c.if_none_match.empty()) h->Set(p + "If-None-Match", c.if_none_match);
  if (c.if_modified_since)
    h->Set(p + "If-Modified-Since", xml::FormatHttpDate(*c.if_modified_since));
  if (c.if_unmodified_since) {
    h->Set(p + "If-Unmodified-Since", xml::FormatHttpDate(*c.if_unmodified_since));
  }
}

std::string RangeHeader(const ByteRange& r) {
  std::string v = "bytes=" + std::to_string(r.first) + "-";
  if (r.last) v += std::to_string(*r.last);
  return v;
}

// Reads a BodySource through once (for MD5/checksums) and rewinds it.
bool DigestSource(http::BodySource& src, ChecksumAlgorithm algo, bool md5, std::string* checksum,
                  std::string* md5_b64) {
  crypto::Hasher md5h(crypto::Hasher::Algo::kMd5);
  std::unique_ptr<crypto::Hasher> sha;
  if (algo == ChecksumAlgorithm::kSha1)
    sha = std::make_unique<crypto::Hasher>(crypto::Hasher::Algo::kSha1);
  if (algo == ChecksumAlgorithm::kSha256) {
    sha = std::make_unique<crypto::Hasher>(crypto::Hasher::Algo::kSha256);
  }
  uint32_t crc = 0;
  std::string buf(1 << 16, '\0');
  while (true) {
    int64_t n = src.Read(buf.data(), buf.size());
    if (n < 0) return false;
    if (n == 0) break;
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    if (md5) md5h.Update(chunk);
    if (sha) sha->Update(chunk);
    if (algo == ChecksumAlgorithm::kCrc32) crc = crypto::Crc32(chunk, crc);
    if (algo == ChecksumAlgorithm::kCrc32c) crc = crypto::Crc32c(chunk, crc);
  }
  if (md5) *md5_b64 = crypto::Base64Encode(md5h.Finish());
  if (sha) *checksum = crypto::Base64Encode(sha->Finish());
  if (algo == ChecksumAlgorithm::kCrc32 || algo == ChecksumAlgorithm::kCrc32c) {
    *checksum = crypto::Base64Encode(crypto::CrcBytes(crc));
  }
  return src.Rewind();
}

template <typename T>
bool FailIfError(const S3Status& s, Callback<T>& done) {
  if (s.ok()) return false;
  done(Fail(s.error()));
  return true;
}

}  // namespace

std::string_view ChecksumAlgorithmName(ChecksumAlgorithm a) {
  switch (a) {
    case ChecksumAlgorithm::kCrc32:
      return "CRC32";
    case ChecksumAlgorithm::kCrc32c:
      return "CRC32C";
    case ChecksumAlgorithm::kSha1:
      return "SHA1";
    case ChecksumAlgorithm::kSha256:
      return "SHA256";
    case ChecksumAlgorithm::kNone:
      return "";
  }
  return "";
}

std::string ChecksumHeader(ChecksumAlgorithm a) {
  if (a == ChecksumAlgorithm::kNone) return {};
  return "x-amz-checksum-" + str::ToLower(ChecksumAlgorithmName(a));
}

std::string ComputeChecksum(ChecksumAlgorithm a, std::string_view body) {
  switch (a) {
    case ChecksumAlgorithm::kCrc32:
      return crypto::Base64Encode(crypto::CrcBytes(crypto::Crc32(body)));
    case ChecksumAlgorithm::kCrc32c:
      return crypto::Base64Encode(crypto::CrcBytes(crypto::Crc32c(body)));
    case ChecksumAlgorithm::kSha1:
      return crypto::Base64Encode(crypto::Sha1(body));
    case ChecksumAlgorithm::kSha256:
      return crypto::Base64Encode(crypto::Sha256(body));
    case ChecksumAlgorithm::kNone:
      return "";
  }
  return "";
}

ObjectInfo ParseObjectInfo(const http::Response& r) {
  ObjectInfo info;
  const auto& h = r.headers;
  uint64_t n = 0;
  if (auto v = h.Get("Content-Length"); v && str::ParseUint64(str::Trim(*v), &n)) {
    info.content_length = n;
  }
  info.object_size = info.content_length;
  if (auto v = h.Get("Content-Range")) {
    info.content_range = *v;
    size_t slash = v->rfind('/');
    if (slash != std::string::npos && str::ParseUint64(str::Trim(v->substr(slash + 1)), &n)) {
      info.object_size = n;
    }
  }
  info.etag = h.Get("ETag").value_or("");
  if (auto v = h.Get("Last-Modified")) xml::ParseHttpDate(*v, &info.last_modified);
  info.content_type = h.Get("Content-Type").value_or("");
  info.content_encoding = h.Get("Content-Encoding").value_or("");
  info.content_disposition = h.Get("Content-Disposition").value_or("");
  info.content_language = h.Get("Content-Language").value_or("");
  info.cache_control = h.Get("Cache-Control").value_or("");
  info.expires = h.Get("Expires").value_or("");
  info.version_id = h.Get("x-amz-version-id").value_or("");
  info.delete_marker = h.Get("x-amz-delete-marker").value_or("") == "true";
  info.storage_class = h.Get("x-amz-storage-class").value_or("");
  info.sse = h.Get("x-amz-server-side-encryption").value_or("");
  info.sse_kms_key_id = h.Get("x-amz-server-side-encryption-aws-kms-key-id").value_or("");
  info.sse_customer_algorithm =
      h.Get("x-amz-server-side-encryption-customer-algorithm").value_or("");
  info.restore = h.Get("x-amz-restore").value_or("");
  if (auto v = h.Get("x-amz-mp-parts-count"); v && str::ParseUint64(*v, &n)) {
    info.parts_count = static_cast<uint32_t>(n);
  }
  if (auto v = h.Get("x-amz-tagging-count"); v && str::ParseUint64(*v, &n)) {
    info.tag_count = static_cast<uint32_t>(n);
  }
  for (const auto& [name, value] : h.entries()) {
    std::string lower = str::ToLower(name);
    if (str::StartsWith(lower, "x-amz-meta-")) info.metadata[lower.substr(11)] = value;
  }
  return info;
}

namespace {

PutObjectOutput ParsePutOutput(const http::Response& r, ChecksumAlgorithm algo) {
  PutObjectOutput out;
  out.etag = r.headers.Get("ETag").value_or("");
  out.version_id = r.headers.Get("x-amz-version-id").value_or("");
  out.sse = r.headers.Get("x-amz-server-side-encryption").value_or("");
  out.sse_kms_key_id = r.headers.Get("x-amz-server-side-encryption-aws-kms-key-id").value_or("");
  if (algo != ChecksumAlgorithm::kNone) {
    out.checksum = r.headers.Get(ChecksumHeader(algo)).value_or("");
  }
  return out;
}

}  // namespace

// Shared by both PutObjectAsync forms.
static void PutObjectImpl(Client& c, PutObjectRequest req, std::shared_ptr<const std::string> body,
                          std::shared_ptr<http::BodySource> source,
                          Callback<PutObjectOutput> done) {
  if (FailIfError(ValidateBucketName(req.bucket, true), done)) return;
  if (FailIfError(ValidateKey(req.key), done)) return;
  if (FailIfError(ValidateAttributes(req.attrs), done)) return;
  if (FailIfError(ValidateSse(req.sse), done)) return;
  uint64_t size = body ? body->size() : source->Size();
  if (size > kMaxPutSize) {
    done(Fail(ValidationError("EntityTooLarge", "PutObject body is " + std::to_string(size) +
                                                    " bytes; use multipart above 5 GiB")));
    return;
  }
  Client::Operation op;
  op.name = "PutObject";
  op.method = http::Method::kPut;
  op.bucket = req.bucket;
  op.key = req.key;
  AddAttributeHeaders(req.attrs, &op.headers);
  AddSseHeaders(req.sse, false, &op.headers);
  if (!req.if_none_match.empty()) op.headers.Set("If-None-Match", req.if_none_match);
  std::string md5 = req.content_md5;
  std::string checksum;
  if (body) {
    if (req.compute_md5 && md5.empty()) md5 = crypto::Base64Encode(crypto::Md5(*body));
    checksum = ComputeChecksum(req.checksum, *body);
  } else if (req.compute_md5 || req.checksum != ChecksumAlgorithm::kNone) {
    std::string m;
    if (!DigestSource(*source, req.checksum, req.compute_md5 && md5.empty(), &checksum, &m)) {
      done(Fail(ValidationError("ValidationError", "could not read the body to checksum it")));
      return;
    }
    if (md5.empty()) md5 = m;
  }
  if (!md5.empty()) op.headers.Set("Content-MD5", md5);
  if (!checksum.empty()) op.headers.Set(ChecksumHeader(req.checksum), checksum);
  op.body = std::move(body);
  op.body_source = std::move(source);
  auto algo = req.checksum;
  c.Execute(std::move(op), [done = std::move(done), algo](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(ParsePutOutput(*r, algo));
  });
}

void Client::PutObjectAsync(PutObjectRequest req, std::shared_ptr<const std::string> body,
                            Callback<PutObjectOutput> done) {
  if (!body) body = std::make_shared<const std::string>();
  PutObjectImpl(*this, std::move(req), std::move(body), nullptr, std::move(done));
}

void Client::PutObjectAsync(PutObjectRequest req, std::shared_ptr<http::BodySource> body,
                            Callback<PutObjectOutput> done) {
  if (!body) return PutObjectAsync(std::move(req), std::shared_ptr<const std::string>(), done);
  PutObjectImpl(*this, std::move(req), nullptr, std::move(body), std::move(done));
}

void Client::GetObjectAsync(GetObjectRequest req, http::BodySink* sink,
                            Callback<GetObjectOutput> done) {
  if (FailIfError(ValidateBucketName(req.bucket, true), done)) return;
  if (FailIfError(ValidateKey(req.key), done)) return;
  if (FailIfError(ValidateSse(req.sse), done)) return;
  if (req.range && req.range->last && *req.range->last < req.range->first) {
    done(Fail(ValidationError("InvalidRange", "range end is before its start")));
    return;
  }
  Operation op;
  op.name = "GetObject";
  op.bucket = req.bucket;
  op.key = req.key;
  op.sink = sink;
  if (req.range) op.headers.Set("Range", RangeHeader(*req.range));
  AddConditions(req.conditions, false, &op.headers);
  if (req.sse.kind == Sse::Kind::kCustomer) AddSseHeaders(req.sse, false, &op.headers);
  if (!req.version_id.empty()) op.query.emplace_back("versionId", req.version_id);
  std::pair<const char*, const std::string*> overrides[] = {
      {"response-cache-control", &req.response_cache_control},
      {"response-content-disposition", &req.response_content_disposition},
      {"response-content-encoding", &req.response_content_encoding},
      {"response-content-language", &req.response_content_language},
      {"response-content-type", &req.response_content_type},
      {"response-expires", &req.response_expires}};
  for (const auto& [name, value] : overrides) {
    if (!value->empty()) op.query.emplace_back(name, *value);
  }
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    GetObjectOutput out;
    out.info = ParseObjectInfo(*r);
    out.body = std::move(r->body);
    // A body shorter than Content-Length that the transport did not catch is never success.
    if (r->bytes_received != out.info.content_length && r->headers.Has("Content-Length")) {
      S3Error e;
      e.category = Category::kTransfer;
      e.kind = "IncompleteBody";
      e.message = "received " + std::to_string(r->bytes_received) + " of " +
                  std::to_string(out.info.content_length) + " bytes";
      e.retryable = true;
      return done(Fail(std::move(e)));
    }
    done(std::move(out));
  });
}

void Client::HeadObjectAsync(HeadObjectRequest req, Callback<ObjectInfo> done) {
  if (FailIfError(ValidateBucketName(req.bucket, true), done)) return;
  if (FailIfError(ValidateKey(req.key), done)) return;
  if (FailIfError(ValidateSse(req.sse), done)) return;
  Operation op;
  op.name = "HeadObject";
  op.method = http::Method::kHead;
  op.bucket = req.bucket;
  op.key = req.key;
  AddConditions(req.conditions, false, &op.headers);
  if (req.sse.kind == Sse::Kind::kCustomer) AddSseHeaders(req.sse, false, &op.headers);
  if (!req.version_id.empty()) op.query.emplace_back("versionId", req.version_id);
  if (req.part_number) op.query.emplace_back("partNumber", std::to_string(*req.part_number));
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(ParseObjectInfo(*r));
  });
}

void Client::DeleteObjectAsync(DeleteObjectRequest req, Callback<DeleteObjectOutput> done) {
  if (FailIfError(ValidateBucketName(req.bucket, true), done)) return;
  if (FailIfError(ValidateKey(req.key), done)) return;
  Operation op;
  op.name = "DeleteObject";
  op.method = http::Method::kDelete;
  op.bucket = req.bucket;
  op.key = req.key;
  if (!req.version_id.empty()) op.query.emplace_back("versionId", req.version_id);
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    DeleteObjectOutput out;
    out.delete_marker = r->headers.Get("x-amz-delete-marker").value_or("") == "true";
    out.version_id = r->headers.Get("x-amz-version-id").value_or("");
    done(std::move(out));
  });
}

void Client::DeleteObjectsAsync(DeleteObjectsRequest req, Callback<DeleteObjectsOutput> done) {
  if (FailIfError(ValidateBucketName(req.bucket, true), done)) return;
  if (req.objects.empty() || req.objects.size() > kMaxDeleteObjects) {
    done(Fail(ValidationError("ValidationError", "DeleteObjects takes 1 to 1000 keys, got " +
                                                     std::to_string(req.objects.size()))));
    return;
  }
  for (const auto& o : req.objects) {
    if (FailIfError(ValidateKey(o.key), done)) return;
  }
  Operation op;
  op.name = "DeleteObjects";
  op.method = http::Method::kPost;
  op.bucket = req.bucket;
  op.bucket_level = true;
  op.query.emplace_back("delete", "");
  auto body = std::make_shared<const std::string>(xml::BuildDeleteObjects(req.objects, req.quiet));
  // S3 requires Content-MD5 (or a checksum) on DeleteObjects.
  op.headers.Set("Content-MD5", crypto::Base64Encode(crypto::Md5(*body)));
  op.headers.Set("Content-Type", "application/xml");
  op.body = std::move(body);
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(xml::ParseDeleteObjects(r->body));
  });
}

void Client::CopyObjectAsync(CopyObjectRequest req, Callback<CopyObjectOutput> done) {
  if (FailIfError(ValidateBucketName(req.bucket, true), done)) return;
  if (FailIfError(ValidateBucketName(req.source_bucket, true), done)) return;
  if (FailIfError(ValidateKey(req.key), done)) return;
  if (FailIfError(ValidateKey(req.source_key), done)) return;
  if (FailIfError(ValidateAttributes(req.attrs), done)) return;
  if (FailIfError(ValidateSse(req.sse), done)) return;
  if (FailIfError(ValidateSse(req.source_sse), done)) return;
  Operation op;
  op.name = "CopyObject";
  op.method = http::Method::kPut;
  op.bucket = req.bucket;
  op.key = req.key;
  std::string source = "/" + req.source_bucket + "/" + uri::Encode(req.source_key, true);
  if (!req.source_version_id.empty()) source += "?versionId=" + uri::Encode(req.source_version_id);
  op.headers.Set("x-amz-copy-source", source);
  bool replace = req.metadata_directive == CopyObjectRequest::Directive::kReplace;
  op.headers.Set("x-amz-metadata-directive", replace ? "REPLACE" : "COPY");
  if (req.tagging_directive) {
    op.headers.Set(
        "x-amz-tagging-directive",
        *req.tagging_directive == CopyObjectRequest::Directive::kReplace ? "REPLACE" : "COPY");
  }
  ObjectAttributes attrs = req.attrs;
  if (!replace) {
    // With COPY, S3 rejects content headers and metadata: only class/ACL/tagging apply.
    ObjectAttributes kept;
    kept.storage_class = attrs.storage_class;
    kept.acl = attrs.acl;
    kept.tagging = attrs.tagging;
    attrs = kept;
  }
  if (!(req.tagging_directive &&
        *req.tagging_directive == CopyObjectRequest::Directive::kReplace)) {
    attrs.tagging.clear();
  }
  AddAttributeHeaders(attrs, &op.headers);
  AddSseHeaders(req.sse, false, &op.headers);
  AddSseHeaders(req.source_sse, true, &op.headers);
  AddConditions(req.source_conditions, true, &op.headers);
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    auto out = xml::ParseCopyObject(r->body);
    if (!out.ok()) return done(std::move(out));
    out->version_id = r->headers.Get("x-amz-version-id").value_or("");
    out->copy_source_version_id = r->headers.Get("x-amz-copy-source-version-id").value_or("");
    out->sse = r->headers.Get("x-amz-server-side-encryption").value_or("");
    done(std::move(out));
  });
}

void Client::ListObjectsV2Async(ListObjectsV2Request req, Callback<ListObjectsV2Output> done) {
  if (FailIfError(ValidateBucketName(req.bucket, true), done)) return;
  if (req.max_keys && (*req.max_keys == 0 || *req.max_keys > 1000)) {
    done(Fail(ValidationError("ValidationError", "max-keys must be 1 to 1000")));
    return;
  }
  Operation op;
  op.name = "ListObjectsV2";
  op.bucket = req.bucket;
  op.bucket_level = true;
  op.query.emplace_back("list-type", "2");
  if (!req.prefix.empty()) op.query.emplace_back("prefix", req.prefix);
  if (!req.delimiter.empty()) op.query.emplace_back("delimiter", req.delimiter);
  if (req.max_keys) op.query.emplace_back("max-keys", std::to_string(*req.max_keys));
  if (!req.continuation_token.empty()) {
    op.query.emplace_back("continuation-token", req.continuation_token);
  }
  if (!req.start_after.empty()) op.query.emplace_back("start-after", req.start_after);
  if (req.fetch_owner) op.query.emplace_back("fetch-owner", "true");
  if (req.url_encoding) op.query.emplace_back("encoding-type", "url");
  Execute(std::move(op),
          [this, bucket = req.bucket, done = std::move(done)](S3Result<http::Response> r) {
            if (!r.ok()) return done(Fail(std::move(r).error()));
            auto page = xml::ParseListObjectsV2(r->body);
            if (page.ok() && config_.observer) {
              config_.observer->OnObjectsListed(bucket, page->contents.size());
            }
            done(std::move(page));
          });
}

void Client::GetObjectTaggingAsync(std::string bucket, std::string key, std::string version_id,
                                   Callback<GetObjectTaggingOutput> done) {
  if (FailIfError(ValidateBucketName(bucket, true), done)) return;
  if (FailIfError(ValidateKey(key), done)) return;
  Operation op;
  op.name = "GetObjectTagging";
  op.bucket = std::move(bucket);
  op.key = std::move(key);
  op.query.emplace_back("tagging", "");
  if (!version_id.empty()) op.query.emplace_back("versionId", version_id);
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    // RGW answers 200 with an empty body for an object whose tags a copy dropped: no tags.
    if (r->body.find_first_not_of(" \t\r\n") == std::string::npos) {
      GetObjectTaggingOutput none;
      none.version_id = r->headers.Get("x-amz-version-id").value_or("");
      return done(std::move(none));
    }
    auto out = xml::ParseTagging(r->body);
    if (out.ok()) out->version_id = r->headers.Get("x-amz-version-id").value_or("");
    done(std::move(out));
  });
}

void Client::PutObjectTaggingAsync(std::string bucket, std::string key, std::vector<Tag> tags,
                                   std::string version_id, Callback<Empty> done) {
  if (FailIfError(ValidateBucketName(bucket, true), done)) return;
  if (FailIfError(ValidateKey(key), done)) return;
  if (FailIfError(ValidateTags(tags), done)) return;
  Operation op;
  op.name = "PutObjectTagging";
  op.method = http::Method::kPut;
  op.bucket = std::move(bucket);
  op.key = std::move(key);
  op.query.emplace_back("tagging", "");
  if (!version_id.empty()) op.query.emplace_back("versionId", version_id);
  auto body = std::make_shared<const std::string>(xml::BuildTagging(tags));
  op.headers.Set("Content-MD5", crypto::Base64Encode(crypto::Md5(*body)));
  op.headers.Set("Content-Type", "application/xml");
  op.body = std::move(body);
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(Empty{});
  });
}

void Client::DeleteObjectTaggingAsync(std::string bucket, std::string key, std::string version_id,
                                      Callback<Empty> done) {
  if (FailIfError(ValidateBucketName(bucket, true), done)) return;
  if (FailIfError(ValidateKey(key), done)) return;
  Operation op;
  op.name = "DeleteObjectTagging";
  op.method = http::Method::kDelete;
  op.bucket = std::move(bucket);
  op.key = std::move(key);
  op.query.emplace_back("tagging", "");
  if (!version_id.empty()) op.query.emplace_back("versionId", version_id);
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(Empty{});
  });
}

// ---- Blocking forms ----

S3Result<PutObjectOutput> Client::PutObject(PutObjectRequest req, std::string body) {
  auto shared = std::make_shared<const std::string>(std::move(body));
  return Wait<PutObjectOutput>([&](auto cb) { PutObjectAsync(std::move(req), shared, cb); });
}
S3Result<PutObjectOutput> Client::PutObject(PutObjectRequest req,
                                            std::shared_ptr<http::BodySource> body) {
  return Wait<PutObjectOutput>([&](auto cb) { PutObjectAsync(std::move(req), body, cb); });
}
S3Result<GetObjectOutput> Client::GetObject(GetObjectRequest req, http::BodySink* sink) {
  return Wait<GetObjectOutput>([&](auto cb) { GetObjectAsync(std::move(req), sink, cb); });
}
S3Result<ObjectInfo> Client::HeadObject(HeadObjectRequest req) {
  return Wait<ObjectInfo>([&](auto cb) { HeadObjectAsync(std::move(req), cb); });
}
S3Result<DeleteObjectOutput> Client::DeleteObject(DeleteObjectRequest req) {
  return Wait<DeleteObjectOutput>([&](auto cb) { DeleteObjectAsync(std::move(req), cb); });
}
S3Result<DeleteObjectsOutput> Client::DeleteObjects(DeleteObjectsRequest req) {
  return Wait<DeleteObjectsOutput>([&](auto cb) { DeleteObjectsAsync(std::move(req), cb); });
}
S3Result<CopyObjectOutput> Client::CopyObject(CopyObjectRequest req) {
  return Wait<CopyObjectOutput>([&](auto cb) { CopyObjectAsync(std::move(req), cb); });
}
S3Result<ListObjectsV2Output> Client::ListObjectsV2(ListObjectsV2Request req) {
  return Wait<ListObjectsV2Output>([&](auto cb) { ListObjectsV2Async(std::move(req), cb); });
}
S3Status Client::ListObjectsV2All(ListObjectsV2Request req,
                                  const std::function<bool(const ListObjectsV2Output&)>& on_page) {
  while (true) {
    S3FS_ASSIGN_OR_RETURN(auto page, ListObjectsV2(req));
    if (!on_page(page)) return {};
    if (!page.is_truncated) return {};
    if (page.next_continuation_token.empty()) {
      return Fail(
          ResponseError("InvalidResponse", "truncated listing without a NextContinuationToken"));
    }
    req.continuation_token = page.next_continuation_token;
  }
}
S3Result<GetObjectTaggingOutput> Client::GetObjectTagging(std::string bucket, std::string key,
                                                          std::string version_id) {
  return Wait<GetObjectTaggingOutput>(
      [&](auto cb) { GetObjectTaggingAsync(bucket, key, version_id, cb); });
}
S3Status Client::PutObjectTagging(std::string bucket, std::string key, std::vector<Tag> tags,
                                  std::string version_id) {
  auto r = Wait<Empty>(
      [&](auto cb) { PutObjectTaggingAsync(bucket, key, std::move(tags), version_id, cb); });
  if (!r.ok()) return Fail(std::move(r).error());
  return {};
}
S3Status Client::DeleteObjectTagging(std::string bucket, std::string key, std::string version_id) {
  auto r = Wait<Empty>([&](auto cb) { DeleteObjectTaggingAsync(bucket, key, version_id, cb); });
  if (!r.ok()) return Fail(std::move(r).error());
  return {};
}

}  // namespace s3fs::s3
