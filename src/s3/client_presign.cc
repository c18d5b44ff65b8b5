// Presigned URLs (query-string SigV4). No request is sent.
#include "s3fs/s3/client.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/validate.h"

namespace s3fs::s3 {

S3Result<PresignedUrl> Client::Presign(const PresignRequest& req) {
  S3FS_RETURN_IF_ERROR(ValidateBucketName(req.bucket, true));
  S3FS_RETURN_IF_ERROR(ValidateKey(req.key));
  if (req.expires_in.count() < 1 || req.expires_in.count() > kMaxPresignSeconds) {
    return Fail(ValidationError("ValidationError",
                                "presigned URL expiry must be 1 s to 7 days (604800 s), got " +
                                    std::to_string(req.expires_in.count()) + " s"));
  }
  S3FS_ASSIGN_OR_RETURN(Credentials creds, creds_->Get());
  if (creds.empty()) {
    return Fail(CredentialsError("MissingCredentials", "presigning needs credentials"));
  }
  std::vector<std::pair<std::string, std::string>> query;
  http::Headers headers;
  http::Method method = http::Method::kGet;
  if (!req.version_id.empty()) query.emplace_back("versionId", req.version_id);
  switch (req.op) {
    case PresignRequest::Op::kGet: {
      std::pair<const char*, const std::string*> overrides[] = {
          {"response-cache-control", &req.response_cache_control},
          {"response-content-disposition", &req.response_content_disposition},
          {"response-content-encoding", &req.response_content_encoding},
          {"response-content-language", &req.response_content_language},
          {"response-content-type", &req.response_content_type},
          {"response-expires", &req.response_expires}};
      for (const auto& [name, value] : overrides) {
        if (!value->empty()) query.emplace_back(name, *value);
      }
      if (req.sse.kind == Sse::Kind::kCustomer) {
        S3FS_RETURN_IF_ERROR(ValidateSse(req.sse));
        AddSseHeaders(req.sse, false, &headers);
      }
      break;
    }
    case PresignRequest::Op::kPut: {
      method = http::Method::kPut;
      S3FS_RETURN_IF_ERROR(ValidateMetadata(req.metadata));
      S3FS_RETURN_IF_ERROR(ValidateSse(req.sse));
      if (!req.tagging.empty()) S3FS_RETURN_IF_ERROR(DecodeTagging(req.tagging));
      ObjectAttributes attrs;
      attrs.content_type = req.content_type;
      attrs.metadata = req.metadata;
      attrs.storage_class = req.storage_class;
      attrs.tagging = req.tagging;
      AddAttributeHeaders(attrs, &headers);
      AddSseHeaders(req.sse, false, &headers);
      break;
    }
    case PresignRequest::Op::kDelete:
      method = http::Method::kDelete;
      break;
  }
  PresignedUrl out;
  out.method = std::string(http::MethodName(method));
  std::string url = BuildUrl(req.bucket, req.key, query);
  SigningParams params;
  params.region = config_.region;
  params.time = clock_->Now();
  out.url = signer_.Presign(method, url, headers, creds, params, req.expires_in);
  out.expires_at = params.time + req.expires_in;
  for (const auto& [k, v] : headers.entries()) out.signed_headers[k] = v;
  if (config_.observer) {
    config_.observer->OnPresign(method == http::Method::kPut      ? "PutObject"
                                : method == http::Method::kDelete ? "DeleteObject"
                                                                  : "GetObject");
  }
  return out;
}

}  // namespace s3fs::s3
