// Bucket operations: Create, Delete, Head, ListBuckets, GetBucketLocation.
#include "s3fs/s3/client.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/validate.h"
#include "s3fs/s3/xml.h"

namespace s3fs::s3 {

namespace {
S3Status Check(const std::string& bucket) { return ValidateBucketName(bucket, true); }
}  // namespace

void Client::CreateBucketAsync(CreateBucketRequest req, Callback<CreateBucketOutput> done) {
  if (auto s = ValidateBucket(req.bucket); !s.ok()) return done(Fail(s.error()));
  Operation op;
  op.name = "CreateBucket";
  op.method = http::Method::kPut;
  op.bucket = req.bucket;
  op.bucket_level = true;
  if (!req.acl.empty()) op.headers.Set("x-amz-acl", req.acl);
  if (req.object_lock_enabled) op.headers.Set("x-amz-bucket-object-lock-enabled", "true");
  std::string body = xml::BuildCreateBucketConfiguration(req.location_constraint);
  if (!body.empty()) {
    op.headers.Set("Content-Type", "application/xml");
    op.body = std::make_shared<const std::string>(std::move(body));
  }
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(CreateBucketOutput{r->headers.Get("Location").value_or("")});
  });
}

void Client::DeleteBucketAsync(std::string bucket, Callback<Empty> done) {
  if (auto s = Check(bucket); !s.ok()) return done(Fail(s.error()));
  Operation op;
  op.name = "DeleteBucket";
  op.method = http::Method::kDelete;
  op.bucket = std::move(bucket);
  op.bucket_level = true;
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(Empty{});
  });
}

void Client::HeadBucketAsync(std::string bucket, Callback<HeadBucketOutput> done) {
  if (auto s = Check(bucket); !s.ok()) return done(Fail(s.error()));
  Operation op;
  op.name = "HeadBucket";
  op.method = http::Method::kHead;
  op.bucket = std::move(bucket);
  op.bucket_level = true;
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(HeadBucketOutput{r->headers.Get("x-amz-bucket-region").value_or("")});
  });
}

void Client::ListBucketsAsync(Callback<ListBucketsOutput> done) {
  Operation op;
  op.name = "ListBuckets";
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(xml::ParseListBuckets(r->body));
  });
}

void Client::GetBucketLocationAsync(std::string bucket, Callback<GetBucketLocationOutput> done) {
  if (auto s = Check(bucket); !s.ok()) return done(Fail(s.error()));
  Operation op;
  op.name = "GetBucketLocation";
  op.bucket = std::move(bucket);
  op.bucket_level = true;
  op.query.emplace_back("location", "");
  Execute(std::move(op), [done = std::move(done)](S3Result<http::Response> r) {
    if (!r.ok()) return done(Fail(std::move(r).error()));
    done(xml::ParseGetBucketLocation(r->body));
  });
}

S3Result<CreateBucketOutput> Client::CreateBucket(CreateBucketRequest req) {
  return Wait<CreateBucketOutput>([&](auto cb) { CreateBucketAsync(std::move(req), cb); });
}
S3Status Client::DeleteBucket(std::string bucket) {
  auto r = Wait<Empty>([&](auto cb) { DeleteBucketAsync(std::move(bucket), cb); });
  if (!r.ok()) return Fail(std::move(r).error());
  return {};
}
S3Result<HeadBucketOutput> Client::HeadBucket(std::string bucket) {
  return Wait<HeadBucketOutput>([&](auto cb) { HeadBucketAsync(std::move(bucket), cb); });
}
S3Result<ListBucketsOutput> Client::ListBuckets() {
  return Wait<ListBucketsOutput>([&](auto cb) { ListBucketsAsync(cb); });
}
S3Result<GetBucketLocationOutput> Client::GetBucketLocation(std::string bucket) {
  return Wait<GetBucketLocationOutput>(
      [&](auto cb) { GetBucketLocationAsync(std::move(bucket), cb); });
}

}  // namespace s3fs::s3
