// Multipart upload operations.
#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"
#include "s3fs/s3/client.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/uri.h"
#include "s3fs/s3/validate.h"
#include "s3fs/s3/xml.h"

namespace s3fs::s3 {

namespace {

S3Status CheckTarget(const std::string& bucket, const std::string& key,
                     const std::string& upload_id) {
  S3FS_RETURN_IF_ERROR(ValidateBucketName(bucket, true));
  S3FS_RETURN_IF_ERROR(ValidateKey(key));
  if (upload_id.empty()) return Fail(ValidationError("ValidationError", "empty upload id"));
  return {};
}

S3Status CheckPartNumber(uint32_t n) {
  if (n < 1 || n > kMaxPartNumber) {
    return Fail(ValidationError("ValidationError",
                                "part number " + std::to_string(n) + " is outside 1..10000"));
  }
  return {};
}

}  // namespace

std::string MultipartEtag(const std::vector<CompletedPart>& parts) {
  std::string md5s;
  for (const auto& p : parts) {
    std::string hex = StripQuotes(p.etag);
    if (hex.size() != 32) return {};
    std::string raw;
    for (size_t i = 0; i < 32; i += 2) {
      auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = nib(hex[i]);
      int lo = nib(hex[i + 1]);
      if (hi < 0 || lo < 0) return {};
      raw.push_back(static_cast<char>(hi << 4 | lo));
    }
    md5s += raw;
  }
  if (parts.empty()) return {};
  return "\"" + crypto::HexEncode(crypto::Md5(md5s)) + "-" + std::to_string(parts.size()) + "\"";
}

void Client::CreateMultipartUploadAsync(CreateMultipartUploadRequest req,
                                        Callback<CreateMultipartUploadOutput> done) {
  S3Status s = ValidateBucketName(req.bucket, true);
  if (s.ok()) s = ValidateKey(req.key);
  if (s.ok()) s = ValidateMetadata(req.attrs.metadata);
  if (s.ok()) s = ValidateSse(req.sse);
  if (!s.ok()) return done(Fail(s.error()));
  Operation op;
  op.name = "CreateMultipartUpload";
  op.method = http::Method::kPost;
  op.bucket = req.bucket;
  op.key = req.key;
  op.query.emplace_back("uploads", "");
  AddAttributeHeaders(req.attrs, &op.headers);
  AddSseHeaders(req.sse, false, &op.headers);
  if (req.checksum != ChecksumAlgorithm::kNone) {
    op.headers.Set("x-amz-checksum-algorithm", std::string(ChecksumAlgorithmName(req.checksum)));
  }
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    auto out = xml::ParseCreateMultipartUpload(r->body);
    if (out.ok()) {
      out->sse = r->headers.Get("x-amz-server-side-encryption").value_or("");
      out->sse_kms_key_id =
          r->headers.Get("x-amz-server-side-encryption-aws-kms-key-id").value_or("");
      if (out->upload_id.empty()) {
        return done(Fail(ResponseError("InvalidResponse", "CreateMultipartUpload: no UploadId")));
      }
    }
    done(std::move(out));
  });
}

static void UploadPartImpl(Client& c, UploadPartRequest req,
                           std::shared_ptr<const std::string> body,
                           std::shared_ptr<http::BodySource> source,
                           Callback<UploadPartOutput> done) {
  S3Status s = CheckTarget(req.bucket, req.key, req.upload_id);
  if (s.ok()) s = CheckPartNumber(req.part_number);
  if (s.ok()) s = ValidateSse(req.sse);
  if (!s.ok()) return done(Fail(s.error()));
  uint64_t size = body ? body->size() : source->Size();
  if (size > kMaxPartSize) {
    return done(Fail(ValidationError("EntityTooLarge", "part is larger than 5 GiB")));
  }
  Client::Operation op;
  op.name = "UploadPart";
  op.upload_scoped = true;
  op.method = http::Method::kPut;
  op.bucket = req.bucket;
  op.key = req.key;
  op.query.emplace_back("partNumber", std::to_string(req.part_number));
  op.query.emplace_back("uploadId", req.upload_id);
  if (req.sse.kind == Sse::Kind::kCustomer) AddSseHeaders(req.sse, false, &op.headers);
  std::string checksum_header;
  if (body) {
    if (req.compute_md5) op.headers.Set("Content-MD5", crypto::Base64Encode(crypto::Md5(*body)));
    if (req.checksum != ChecksumAlgorithm::kNone) {
      checksum_header = ChecksumHeader(req.checksum);
      op.headers.Set(checksum_header, ComputeChecksum(req.checksum, *body));
    }
  } else if (req.compute_md5 || req.checksum != ChecksumAlgorithm::kNone) {
    return done(Fail(
        ValidationError("ValidationError",
                        "checksums of streamed parts are not computed: pass the part in memory")));
  }
  op.body = std::move(body);
  op.body_source = std::move(source);
  c.Execute(std::move(op), [done = std::move(done), checksum_header](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    UploadPartOutput out;
    out.etag = r->headers.Get("ETag").value_or("");
    if (!checksum_header.empty()) {
      out.checksum = r->headers.Get(checksum_header).value_or("");
    }
    if (out.etag.empty()) {
      return done(Fail(ResponseError("InvalidResponse", "UploadPart: no ETag")));
    }
    done(std::move(out));
  });
}

void Client::UploadPartAsync(UploadPartRequest req, std::shared_ptr<const std::string> body,
                             Callback<UploadPartOutput> done) {
  if (!body) body = std::make_shared<const std::string>();
  UploadPartImpl(*this, std::move(req), std::move(body), nullptr, std::move(done));
}

void Client::UploadPartAsync(UploadPartRequest req, std::shared_ptr<http::BodySource> body,
                             Callback<UploadPartOutput> done) {
  if (!body) return UploadPartAsync(std::move(req), std::shared_ptr<const std::string>(), done);
  UploadPartImpl(*this, std::move(req), nullptr, std::move(body), std::move(done));
}

void Client::UploadPartCopyAsync(UploadPartCopyRequest req, Callback<UploadPartCopyOutput> done) {
  S3Status s = CheckTarget(req.bucket, req.key, req.upload_id);
  if (s.ok()) s = CheckPartNumber(req.part_number);
  if (s.ok()) s = ValidateBucketName(req.source_bucket, true);
  if (s.ok()) s = ValidateKey(req.source_key);
  if (s.ok()) s = ValidateSse(req.sse);
  if (s.ok()) s = ValidateSse(req.source_sse);
  if (!s.ok()) return done(Fail(s.error()));
  Operation op;
  op.name = "UploadPartCopy";
  op.method = http::Method::kPut;
  op.bucket = req.bucket;
  op.key = req.key;
  op.query.emplace_back("partNumber", std::to_string(req.part_number));
  op.query.emplace_back("uploadId", req.upload_id);
  std::string source = "/" + req.source_bucket + "/" + uri::Encode(req.source_key, true);
  if (!req.source_version_id.empty()) source += "?versionId=" + uri::Encode(req.source_version_id);
  op.headers.Set("x-amz-copy-source", source);
  if (req.source_range) {
    if (!req.source_range->last || *req.source_range->last < req.source_range->first) {
      return done(Fail(ValidationError("InvalidRange", "copy range needs first <= last")));
    }
    op.headers.Set("x-amz-copy-source-range", "bytes=" + std::to_string(req.source_range->first) +
                                                  "-" + std::to_string(*req.source_range->last));
  }
  if (!req.source_conditions.if_match.empty()) {
    op.headers.Set("x-amz-copy-source-if-match", req.source_conditions.if_match);
  }
  if (!req.source_conditions.if_none_match.empty()) {
    op.headers.Set("x-amz-copy-source-if-none-match", req.source_conditions.if_none_match);
  }
  if (req.sse.kind == Sse::Kind::kCustomer) AddSseHeaders(req.sse, false, &op.headers);
  AddSseHeaders(req.source_sse, true, &op.headers);
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(xml::ParseCopyPart(r->body));
  });
}

void Client::CompleteMultipartUploadAsync(CompleteMultipartUploadRequest req,
                                          Callback<CompleteMultipartUploadOutput> done) {
  S3Status s = CheckTarget(req.bucket, req.key, req.upload_id);
  if (s.ok() && req.parts.empty()) {
    s = Fail(ValidationError("ValidationError", "CompleteMultipartUpload needs at least one part"));
  }
  for (size_t i = 0; s.ok() && i < req.parts.size(); ++i) {
    s = CheckPartNumber(req.parts[i].part_number);
    if (s.ok() && i > 0 && req.parts[i].part_number <= req.parts[i - 1].part_number) {
      s = Fail(ValidationError("InvalidPartOrder", "parts must be in ascending order"));
    }
  }
  if (!s.ok()) return done(Fail(s.error()));
  Operation op;
  op.name = "CompleteMultipartUpload";
  op.upload_scoped = true;
  op.method = http::Method::kPost;
  op.bucket = req.bucket;
  op.key = req.key;
  op.query.emplace_back("uploadId", req.upload_id);
  if (req.sse.kind == Sse::Kind::kCustomer) AddSseHeaders(req.sse, false, &op.headers);
  op.headers.Set("Content-Type", "application/xml");
  op.body = std::make_shared<const std::string>(
      xml::BuildCompleteMultipartUpload(req.parts, req.checksum));
  std::string expected_etag = MultipartEtag(req.parts);
  HeadObjectRequest head;
  head.bucket = req.bucket;
  head.key = req.key;
  if (req.sse.kind == Sse::Kind::kCustomer) head.sse = req.sse;
  Execute(std::move(op), [this, done = std::move(done), expected_etag,
                          head = std::move(head)](S3Result<http::Response> r) mutable {
    if (!r.ok()) {
      // An attempt the server applied but whose answer was lost (connection reset, truncated
      // body) is retried and finds the upload gone. If the key now holds exactly these parts
      // (the multipart ETag is MD5 of the parts' MD5s), that lost answer was the success.
      if (r.error().kind == "UploadNotFound" && !expected_etag.empty()) {
        S3Error gone = std::move(r).error();
        std::string key = head.key;
        HeadObjectAsync(std::move(head), [done = std::move(done), expected_etag, key,
                                          gone = std::move(gone)](S3Result<ObjectInfo> h) {
          if (!h.ok() || StripQuotes(h->etag) != StripQuotes(expected_etag)) {
            return done(Fail(gone));
          }
          S3FS_LOG_INFO(
              "CompleteMultipartUpload of {}: the upload was gone on a retry, but the "
              "object holds its parts (ETag {}): completed by the earlier attempt",
              key, h->etag);
          CompleteMultipartUploadOutput out;
          out.etag = h->etag;
          out.version_id = h->version_id;
          done(std::move(out));
        });
        return;
      }
      return done(Fail(std::move(r).error()));
    }
    auto out = xml::ParseCompleteMultipartUpload(r->body);
    if (out.ok()) {
      out->version_id = r->headers.Get("x-amz-version-id").value_or("");
      // Some servers (Ceph RGW pacific) answer an empty <ETag>: S3's multipart ETag is
      // MD5(concatenated part MD5s)-N, derivable when the parts' ETags are plain MD5s.
      if (out->etag.empty()) out->etag = expected_etag;
    }
    done(std::move(out));
  });
}

void Client::AbortMultipartUploadAsync(AbortMultipartUploadRequest req, Callback<Empty> done) {
  if (auto s = CheckTarget(req.bucket, req.key, req.upload_id); !s.ok()) {
    return done(Fail(s.error()));
  }
  Operation op;
  op.name = "AbortMultipartUpload";
  op.upload_scoped = true;
  op.method = http::Method::kDelete;
  op.bucket = req.bucket;
  op.key = req.key;
  op.query.emplace_back("uploadId", req.upload_id);
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(Empty{});
  });
}

void Client::ListPartsAsync(ListPartsRequest req, Callback<ListPartsOutput> done) {
  if (auto s = CheckTarget(req.bucket, req.key, req.upload_id); !s.ok()) {
    return done(Fail(s.error()));
  }
  Operation op;
  op.name = "ListParts";
  op.upload_scoped = true;
  op.bucket = req.bucket;
  op.key = req.key;
  op.query.emplace_back("uploadId", req.upload_id);
  if (req.max_parts) op.query.emplace_back("max-parts", std::to_string(*req.max_parts));
  if (req.part_number_marker) {
    op.query.emplace_back("part-number-marker", std::to_string(*req.part_number_marker));
  }
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(xml::ParseListParts(r->body));
  });
}

void Client::ListMultipartUploadsAsync(ListMultipartUploadsRequest req,
                                       Callback<ListMultipartUploadsOutput> done) {
  if (auto s = ValidateBucketName(req.bucket, true); !s.ok()) return done(Fail(s.error()));
  Operation op;
  op.name = "ListMultipartUploads";
  op.bucket = req.bucket;
  op.bucket_level = true;
  op.query.emplace_back("uploads", "");
  if (!req.prefix.empty()) op.query.emplace_back("prefix", req.prefix);
  if (!req.delimiter.empty()) op.query.emplace_back("delimiter", req.delimiter);
  if (!req.key_marker.empty()) op.query.emplace_back("key-marker", req.key_marker);
  if (!req.upload_id_marker.empty()) {
    op.query.emplace_back("upload-id-marker", req.upload_id_marker);
  }
  if (req.max_uploads) op.query.emplace_back("max-uploads", std::to_string(*req.max_uploads));
  op.query.emplace_back("encoding-type", "url");
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(xml::ParseListMultipartUploads(r->body));
  });
}

S3Result<CreateMultipartUploadOutput> Client::CreateMultipartUpload(
    CreateMultipartUploadRequest req) {
  return Wait<CreateMultipartUploadOutput>(
      [&](auto cb) { CreateMultipartUploadAsync(std::move(req), cb); });
}
S3Result<UploadPartOutput> Client::UploadPart(UploadPartRequest req, std::string body) {
  auto shared = std::make_shared<const std::string>(std::move(body));
  return Wait<UploadPartOutput>([&](auto cb) { UploadPartAsync(std::move(req), shared, cb); });
}
S3Result<UploadPartCopyOutput> Client::UploadPartCopy(UploadPartCopyRequest req) {
  return Wait<UploadPartCopyOutput>([&](auto cb) { UploadPartCopyAsync(std::move(req), cb); });
}
S3Result<CompleteMultipartUploadOutput> Client::CompleteMultipartUpload(
    CompleteMultipartUploadRequest req) {
  return Wait<CompleteMultipartUploadOutput>(
      [&](auto cb) { CompleteMultipartUploadAsync(std::move(req), cb); });
}
S3Status Client::AbortMultipartUpload(AbortMultipartUploadRequest req) {
  auto r = Wait<Empty>([&](auto cb) { AbortMultipartUploadAsync(std::move(req), cb); });
  if (!r.ok()) return Fail(std::move(r).error());
  return {};
}
S3Result<ListPartsOutput> Client::ListParts(ListPartsRequest req) {
  return Wait<ListPartsOutput>([&](auto cb) { ListPartsAsync(std::move(req), cb); });
}
S3Result<ListMultipartUploadsOutput> Client::ListMultipartUploads(ListMultipartUploadsRequest req) {
  return Wait<ListMultipartUploadsOutput>(
      [&](auto cb) { ListMultipartUploadsAsync(std::move(req), cb); });
}

}  // namespace s3fs::s3
