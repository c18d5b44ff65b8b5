// Integration tests of the S3 client against a real server (Ceph RGW from tests/servers/rgw).
// Covers the client specification's acceptance list FC-1..FC-26 that RGW can serve. The
// server comes from S3FS_TEST_ENDPOINT / S3FS_TEST_ACCESS_KEY / S3FS_TEST_SECRET_KEY /
// S3FS_TEST_REGION; without them every test FAILS (never skips): run via scripts/test.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "s3fs/http/transport.h"
#include "s3fs/s3/client.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/transfer.h"
#include "s3fs/s3/validate.h"
#include "tests/fakes/string_sink.h"
#include "tests/integration/s3_fixture.h"

namespace s3fs::s3 {
namespace {

using namespace std::chrono_literals;

// FC-13, FC-15, FC-16, FC-14
TEST_F(S3IT, BucketLifecycle) {
  auto head = client_->HeadBucket(bucket_);
  ASSERT_TRUE(head.ok()) << head.error().ToString();
  auto list = client_->ListBuckets();
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  bool found = false;
  for (const auto& b : list->buckets) found = found || b.name == bucket_;
  EXPECT_TRUE(found);
  auto loc = client_->GetBucketLocation(bucket_);
  ASSERT_TRUE(loc.ok()) << loc.error().ToString();

  std::string other = bucket_ + "-x";
  ASSERT_TRUE(client_->CreateBucket({other, "", "", false}).ok());
  ASSERT_TRUE(client_->PutObject(Put("k"), "v").ok());
  PutObjectRequest p = Put("k");
  p.bucket = other;
  ASSERT_TRUE(client_->PutObject(p, "v").ok());
  auto not_empty = client_->DeleteBucket(other);
  ASSERT_FALSE(not_empty.ok());
  EXPECT_EQ(not_empty.error().kind, "BucketNotEmpty");
  ASSERT_TRUE(client_->DeleteObject({other, "k", ""}).ok());
  ASSERT_TRUE(client_->DeleteBucket(other).ok());
  auto gone = client_->HeadBucket(other);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, "BucketNotFound");
  auto missing = client_->ListObjectsV2({other});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, "BucketNotFound");
}

// FC-1, FC-3, FC-4, FC-8, FC-6
TEST_F(S3IT, PutGetRangeHeadDelete) {
  PutObjectRequest req = Put("dir/hello world+ü.txt");
  req.attrs.content_type = "text/plain";
  req.attrs.metadata = {{"mode", "33188"}, {"mtime", "1577934245.123456789"}};
  req.compute_md5 = true;
  auto put = client_->PutObject(req, "Hello, RGW!");
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  EXPECT_EQ(StripQuotes(put->etag), crypto::HexEncode(crypto::Md5("Hello, RGW!")));

  auto get = client_->GetObject({bucket_, req.key});
  ASSERT_TRUE(get.ok()) << get.error().ToString();
  EXPECT_EQ(get->body, "Hello, RGW!");
  EXPECT_EQ(get->info.content_type, "text/plain");

  GetObjectRequest ranged{bucket_, req.key};
  ranged.range = ByteRange{7, 9};
  auto part = client_->GetObject(ranged);
  ASSERT_TRUE(part.ok()) << part.error().ToString();
  EXPECT_EQ(part->body, "RGW");
  EXPECT_EQ(part->info.object_size, 11u);
  ranged.range = ByteRange{7, std::nullopt};
  EXPECT_EQ(client_->GetObject(ranged)->body, "RGW!");

  auto head = client_->HeadObject({bucket_, req.key, {}, "", {}, {}});
  ASSERT_TRUE(head.ok()) << head.error().ToString();
  EXPECT_EQ(head->content_length, 11u);
  EXPECT_EQ(head->metadata.at("mode"), "33188");
  EXPECT_EQ(head->metadata.at("mtime"), "1577934245.123456789");
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_GT(head->last_modified.time_since_epoch().count(), 0);

  ASSERT_TRUE(client_->DeleteObject({bucket_, req.key, ""}).ok());
  auto gone = client_->HeadObject({bucket_, req.key, {}, "", {}, {}});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, "ObjectNotFound");
  auto gone_get = client_->GetObject({bucket_, req.key});
  ASSERT_FALSE(gone_get.ok());
  EXPECT_EQ(gone_get.error().s3_code, "NoSuchKey");
}

class StringBody final : public http::BodySource {
 public:
  explicit StringBody(std::string d) : d_(std::move(d)) {}
  uint64_t Size() const override { return d_.size(); }
  int64_t Read(char* buf, size_t n) override {
    size_t k = std::min(n, d_.size() - pos_);
    std::memcpy(buf, d_.data() + pos_, k);
    pos_ += k;
    return static_cast<int64_t>(k);
  }
  bool Rewind() override {
    pos_ = 0;
    return true;
  }

 private:
  std::string d_;
  size_t pos_ = 0;
};

class CollectSink final : public http::BodySink {
 public:
  bool Write(const char* d, size_t n) override {
    data.append(d, n);
    ++writes;
    return true;
  }
  std::string data;
  int writes = 0;
};

// FC-2, FC-5
TEST_F(S3IT, StreamingPutAndGet) {
  std::string data = RandomData(3 << 20, 1);
  PutObjectRequest req = Put("stream.bin");
  req.checksum = ChecksumAlgorithm::kCrc32c;
  auto put = client_->PutObject(req, std::make_shared<StringBody>(data));
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  CollectSink sink;
  auto get = client_->GetObject({bucket_, "stream.bin"}, &sink);
  ASSERT_TRUE(get.ok()) << get.error().ToString();
  EXPECT_EQ(sink.data.size(), data.size());
  EXPECT_TRUE(sink.data == data);
  EXPECT_GT(sink.writes, 1);
}

// FC-7
TEST_F(S3IT, DeleteObjectsBatch) {
  std::vector<ObjectIdentifier> ids;
  for (int i = 0; i < 40; ++i) {
    std::string k = "batch/" + std::to_string(i);
    ASSERT_TRUE(client_->PutObject(Put(k), "x").ok());
    ids.push_back({k, ""});
  }
  ids.push_back({"batch/never-existed", ""});
  auto r = client_->DeleteObjects({bucket_, ids, false});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->deleted.size(), 41u);  // S3 reports missing keys as deleted
  EXPECT_TRUE(r->errors.empty());
  auto left = client_->ListObjectsV2({bucket_, "batch/"});
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->contents.empty());
  ASSERT_TRUE(client_->PutObject(Put("q1"), "x").ok());
  auto quiet = client_->DeleteObjects({bucket_, {{"q1", ""}}, true});
  ASSERT_TRUE(quiet.ok()) << quiet.error().ToString();
  EXPECT_TRUE(quiet->deleted.empty());
}

// FC-9, FC-10
TEST_F(S3IT, CopySameAndCrossBucket) {
  PutObjectRequest req = Put("src key");
  req.attrs.metadata = {{"mode", "33188"}};
  ASSERT_TRUE(client_->PutObject(req, "copy me").ok());
  CopyObjectRequest cp;
  cp.source_bucket = bucket_;
  cp.source_key = "src key";
  cp.bucket = bucket_;
  cp.key = "dst key";
  auto r = client_->CopyObject(cp);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  auto head = client_->HeadObject({bucket_, "dst key", {}, "", {}, {}});
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->metadata.at("mode"), "33188");

  // Self-copy with REPLACE: how chmod is persisted.
  cp.key = "src key";
  cp.metadata_directive = CopyObjectRequest::Directive::kReplace;
  cp.attrs.metadata = {{"mode", "33261"}};
  ASSERT_TRUE(client_->CopyObject(cp).ok());
  head = client_->HeadObject({bucket_, "src key", {}, "", {}, {}});
  EXPECT_EQ(head->metadata.at("mode"), "33261");
  EXPECT_EQ(client_->GetObject({bucket_, "src key"})->body, "copy me");

  std::string other = bucket_ + "-cp";
  ASSERT_TRUE(client_->CreateBucket({other, "", "", false}).ok());
  CopyObjectRequest cross;
  cross.source_bucket = bucket_;
  cross.source_key = "src key";
  cross.bucket = other;
  cross.key = "x";
  auto cr = client_->CopyObject(cross);
  ASSERT_TRUE(cr.ok()) << cr.error().ToString();
  EXPECT_EQ(client_->GetObject({other, "x"})->body, "copy me");
  ASSERT_TRUE(client_->DeleteObject({other, "x", ""}).ok());
  ASSERT_TRUE(client_->DeleteBucket(other).ok());

  cp.source_key = "no such";
  auto missing = client_->CopyObject(cp);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, "ObjectNotFound");
}

// FC-11, FC-12
TEST_F(S3IT, ListPaginationDelimiterAndEncoding) {
  std::vector<std::string> keys;
  for (int i = 0; i < 23; ++i) keys.push_back("p/file" + std::to_string(100 + i));
  keys.push_back("p/sub/a");
  keys.push_back("p/sub2/b");
  keys.push_back("p/odd key+%&ü.txt");
  for (const auto& k : keys) ASSERT_TRUE(client_->PutObject(Put(k), "d").ok()) << k;
  ListObjectsV2Request req;
  req.bucket = bucket_;
  req.prefix = "p/";
  req.delimiter = "/";
  req.max_keys = 7;
  std::vector<std::string> got;
  std::vector<std::string> prefixes;
  int pages = 0;
  auto st = client_->ListObjectsV2All(req, [&](const ListObjectsV2Output& page) {
    ++pages;
    for (const auto& o : page.contents) {
      got.push_back(o.key);
      EXPECT_EQ(o.size, 1u);
      EXPECT_FALSE(o.etag.empty());
    }
    for (const auto& p : page.common_prefixes) prefixes.push_back(p);
    return true;
  });
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_GE(pages, 4);
  EXPECT_EQ(got.size(), 24u);
  EXPECT_NE(std::find(got.begin(), got.end(), "p/odd key+%&ü.txt"), got.end());
  EXPECT_EQ(prefixes, (std::vector<std::string>{"p/sub/", "p/sub2/"}));

  ListObjectsV2Request after;
  after.bucket = bucket_;
  after.prefix = "p/";
  after.start_after = "p/file121";
  auto r = client_->ListObjectsV2(after);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->contents.empty());
  EXPECT_EQ(r->contents.front().key, "p/file122");
}

// FC-17, FC-19 + UploadPartCopy
TEST_F(S3IT, MultipartUploadListPartsAndPartCopy) {
  std::string data = RandomData(11 << 20, 2);
  CreateMultipartUploadRequest create;
  create.bucket = bucket_;
  create.key = "mp.bin";
  create.attrs.metadata = {{"mode", "33188"}};
  auto up = client_->CreateMultipartUpload(create);
  ASSERT_TRUE(up.ok()) << up.error().ToString();
  std::vector<CompletedPart> parts;
  for (uint32_t i = 0; i < 3; ++i) {
    size_t off = static_cast<size_t>(i) * (5 << 20);
    std::string body = data.substr(off, std::min<size_t>(5 << 20, data.size() - off));
    UploadPartRequest pr;
    pr.bucket = bucket_;
    pr.key = "mp.bin";
    pr.upload_id = up->upload_id;
    pr.part_number = i + 1;
    pr.compute_md5 = true;
    auto r = client_->UploadPart(pr, body);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    parts.push_back({i + 1, r->etag, ""});
  }
  ListPartsRequest lp;
  lp.bucket = bucket_;
  lp.key = "mp.bin";
  lp.upload_id = up->upload_id;
  lp.max_parts = 2;
  auto page1 = client_->ListParts(lp);
  ASSERT_TRUE(page1.ok()) << page1.error().ToString();
  EXPECT_EQ(page1->parts.size(), 2u);
  EXPECT_TRUE(page1->is_truncated);
  lp.part_number_marker = page1->next_part_number_marker;
  auto page2 = client_->ListParts(lp);
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->parts.size(), 1u);
  EXPECT_EQ(page2->parts[0].part_number, 3u);
  EXPECT_EQ(page2->parts[0].size, static_cast<uint64_t>(1 << 20));

  auto done = client_->CompleteMultipartUpload({bucket_, "mp.bin", up->upload_id, parts, {}, {}});
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_NE(done->etag.find("-3"), std::string::npos) << done->etag;
  auto got = client_->GetObject({bucket_, "mp.bin"});
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->body == data);

  // New object from ranges of the old one without downloading it.
  auto up2 = client_->CreateMultipartUpload({bucket_, "copy.bin", {}, {}, {}});
  ASSERT_TRUE(up2.ok());
  UploadPartCopyRequest pc;
  pc.source_bucket = bucket_;
  pc.source_key = "mp.bin";
  pc.bucket = bucket_;
  pc.key = "copy.bin";
  pc.upload_id = up2->upload_id;
  pc.part_number = 1;
  pc.source_range = ByteRange{0, (5 << 20) - 1};
  auto c1 = client_->UploadPartCopy(pc);
  ASSERT_TRUE(c1.ok()) << c1.error().ToString();
  UploadPartRequest tail;
  tail.bucket = bucket_;
  tail.key = "copy.bin";
  tail.upload_id = up2->upload_id;
  tail.part_number = 2;
  auto t2 = client_->UploadPart(tail, "TAIL");
  ASSERT_TRUE(t2.ok());
  auto done2 = client_->CompleteMultipartUpload(
      {bucket_, "copy.bin", up2->upload_id, {{1, c1->etag, ""}, {2, t2->etag, ""}}, {}, {}});
  ASSERT_TRUE(done2.ok()) << done2.error().ToString();
  auto got2 = client_->GetObject({bucket_, "copy.bin"});
  ASSERT_TRUE(got2.ok());
  EXPECT_TRUE(got2->body == data.substr(0, 5 << 20) + "TAIL");
}

// FC-18
TEST_F(S3IT, MultipartAbort) {
  auto up = client_->CreateMultipartUpload({bucket_, "abort.bin", {}, {}, {}});
  ASSERT_TRUE(up.ok());
  UploadPartRequest pr;
  pr.bucket = bucket_;
  pr.key = "abort.bin";
  pr.upload_id = up->upload_id;
  pr.part_number = 1;
  ASSERT_TRUE(client_->UploadPart(pr, "part").ok());
  auto listed = client_->ListMultipartUploads({bucket_, "abort", "", "", "", {}});
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->uploads.size(), 1u);
  EXPECT_EQ(listed->uploads[0].upload_id, up->upload_id);
  ASSERT_TRUE(client_->AbortMultipartUpload({bucket_, "abort.bin", up->upload_id}).ok());
  auto after = client_->ListMultipartUploads({bucket_, "abort", "", "", "", {}});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->uploads.empty());
  auto parts = client_->ListParts({bucket_, "abort.bin", up->upload_id, {}, {}});
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.error().kind, "UploadNotFound") << parts.error().ToString();
  EXPECT_EQ(client_->HeadObject({bucket_, "abort.bin", {}, "", {}, {}}).error().kind,
            "ObjectNotFound");
}

// FC-20, FC-21 (+ DELETE, expiry)
TEST_F(S3IT, PresignedUrlsWorkWithoutTheClient) {
  ASSERT_TRUE(client_->PutObject(Put("shared file.txt"), "presigned content").ok());
  PresignRequest p;
  p.bucket = bucket_;
  p.key = "shared file.txt";
  p.expires_in = 300s;
  auto url = client_->Presign(p);
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  http::Request get;
  get.url = url->url;
  auto resp = SharedTransport()->Send(get);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 200) << resp->body;
  EXPECT_EQ(resp->body, "presigned content");

  PresignRequest put = p;
  put.op = PresignRequest::Op::kPut;
  put.key = "uploaded.txt";
  put.content_type = "text/plain";
  auto put_url = client_->Presign(put);
  ASSERT_TRUE(put_url.ok());
  http::Request pr;
  pr.method = http::Method::kPut;
  pr.url = put_url->url;
  for (const auto& [k, v] : put_url->signed_headers) pr.headers.Set(k, v);
  pr.body = std::make_shared<const std::string>("via presigned PUT");
  auto presp = SharedTransport()->Send(pr);
  ASSERT_TRUE(presp.ok());
  EXPECT_EQ(presp->status, 200) << presp->body;
  EXPECT_EQ(client_->GetObject({bucket_, "uploaded.txt"})->body, "via presigned PUT");

  PresignRequest del = p;
  del.op = PresignRequest::Op::kDelete;
  del.key = "uploaded.txt";
  http::Request dr;
  dr.method = http::Method::kDelete;
  dr.url = client_->Presign(del)->url;
  auto dresp = SharedTransport()->Send(dr);
  ASSERT_TRUE(dresp.ok());
  EXPECT_EQ(dresp->status, 204);

  // Expired: signed two hours ago for one minute.
  auto past = std::make_shared<FakeClock>(std::chrono::system_clock::now() - 2h);
  Server s;
  auto old_client = MakeClient(s.access, s.secret, past);
  p.expires_in = 60s;
  http::Request expired;
  expired.url = old_client->Presign(p)->url;
  auto eresp = SharedTransport()->Send(expired);
  ASSERT_TRUE(eresp.ok());
  EXPECT_EQ(eresp->status, 403);

  // Tampered signature is refused.
  http::Request tampered;
  tampered.url = url->url;
  tampered.url.back() = tampered.url.back() == '0' ? '1' : '0';
  EXPECT_EQ(SharedTransport()->Send(tampered)->status, 403);
}

// FC-22
TEST_F(S3IT, Tagging) {
  PutObjectRequest req = Put("tagged");
  req.attrs.tagging = EncodeTagging({{"project", "blue sky"}, {"tier", "1"}});
  ASSERT_TRUE(client_->PutObject(req, "x").ok());
  auto tags = client_->GetObjectTagging(bucket_, "tagged");
  ASSERT_TRUE(tags.ok()) << tags.error().ToString();
  ASSERT_EQ(tags->tags.size(), 2u);
  ASSERT_TRUE(client_->PutObjectTagging(bucket_, "tagged", {{"env", "prod"}}).ok());
  tags = client_->GetObjectTagging(bucket_, "tagged");
  ASSERT_EQ(tags->tags.size(), 1u);
  EXPECT_EQ(tags->tags[0], (Tag{"env", "prod"}));
  ASSERT_TRUE(client_->DeleteObjectTagging(bucket_, "tagged").ok());
  tags = client_->GetObjectTagging(bucket_, "tagged");
  ASSERT_TRUE(tags.ok());
  EXPECT_TRUE(tags->tags.empty());
}

// FC-24 (SSE-KMS with RGW's testing key backend) and SSE-C
TEST_F(S3IT, ServerSideEncryption) {
  PutObjectRequest kms = Put("kms.bin");
  kms.sse = Sse::Kms("testkey-1");
  auto put = client_->PutObject(kms, "secret data");
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  auto head = client_->HeadObject({bucket_, "kms.bin", {}, "", {}, {}});
  ASSERT_TRUE(head.ok()) << head.error().ToString();
  EXPECT_EQ(head->sse, "aws:kms");
  EXPECT_EQ(head->sse_kms_key_id, "testkey-1");
  EXPECT_EQ(client_->GetObject({bucket_, "kms.bin"})->body, "secret data");

  std::string key = RandomData(32, 3);
  PutObjectRequest ssec = Put("ssec.bin");
  ssec.sse = Sse::Customer(SecretString(key));
  auto cput = client_->PutObject(ssec, "customer-keyed");
  ASSERT_TRUE(cput.ok()) << cput.error().ToString();
  auto no_key = client_->GetObject({bucket_, "ssec.bin"});
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().http_status, 400);
  GetObjectRequest with_key{bucket_, "ssec.bin"};
  with_key.sse = Sse::Customer(SecretString(key));
  auto got = client_->GetObject(with_key);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->body, "customer-keyed");
  EXPECT_EQ(got->info.sse_customer_algorithm, "AES256");
  GetObjectRequest wrong_key = with_key;
  wrong_key.sse = Sse::Customer(SecretString(std::string(32, 'w')));
  EXPECT_FALSE(client_->GetObject(wrong_key).ok());

  // RGW pacific answers 501 to CopyObject of an encrypted object: a clear error, object intact.
  CopyObjectRequest cp;
  cp.source_bucket = bucket_;
  cp.source_key = "kms.bin";
  cp.bucket = bucket_;
  cp.key = "kms-copy.bin";
  auto copied = client_->CopyObject(cp);
  if (!copied.ok()) {
    EXPECT_EQ(copied.error().http_status, 501) << copied.error().ToString();
    EXPECT_EQ(copied.error().kind, "NotImplemented");
  }
  EXPECT_EQ(client_->GetObject({bucket_, "kms.bin"})->body, "secret data");
}

TEST_F(S3IT, StorageClasses) {
  PutObjectRequest ia = Put("ia.bin");
  ia.attrs.storage_class = "STANDARD_IA";
  ASSERT_TRUE(client_->PutObject(ia, "x").ok());
  auto head = client_->HeadObject({bucket_, "ia.bin", {}, "", {}, {}});
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->storage_class, "STANDARD_IA");
  auto list = client_->ListObjectsV2({bucket_, "ia"});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->contents.size(), 1u);
  EXPECT_EQ(list->contents[0].storage_class, "STANDARD_IA");
  PutObjectRequest bogus = Put("bogus.bin");
  bogus.attrs.storage_class = "NOT_A_CLASS";
  auto r = client_->PutObject(bogus, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, Category::kRequest);
}

TEST_F(S3IT, ConditionalRequests) {
  auto put = client_->PutObject(Put("cond"), "v1");
  ASSERT_TRUE(put.ok());
  GetObjectRequest g{bucket_, "cond"};
  g.conditions.if_none_match = put->etag;
  auto nm = client_->GetObject(g);
  ASSERT_FALSE(nm.ok());
  EXPECT_EQ(nm.error().kind, "NotModified");
  g.conditions = {};
  g.conditions.if_match = "\"0123456789abcdef0123456789abcdef\"";
  auto pf = client_->GetObject(g);
  ASSERT_FALSE(pf.ok());
  EXPECT_EQ(pf.error().kind, "PreconditionFailed");
  g.conditions.if_match = put->etag;
  EXPECT_TRUE(client_->GetObject(g).ok());
}

// FC-26 end to end, and the errors a user hits first.
TEST_F(S3IT, BadCredentialsAndEndpoints) {
  Server s;
  auto wrong_secret = MakeClient(s.access, "not-the-secret");
  auto r = wrong_secret->ListObjectsV2({bucket_});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "SignatureDoesNotMatch") << r.error().ToString();
  EXPECT_EQ(r.error().ToString().find("not-the-secret"), std::string::npos);

  auto wrong_key = MakeClient("AKIDUNKNOWN0000000", s.secret);
  auto r2 = wrong_key->ListBuckets();
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, "InvalidAccessKeyId") << r2.error().ToString();

  auto dead = MakeClient(s.access, s.secret, nullptr, "http://127.0.0.1:1");
  auto start = std::chrono::steady_clock::now();
  auto r3 = dead->ListBuckets();
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().kind, "ConnectionFailed");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);

  auto long_key = client_->PutObject(Put(std::string(1025, 'k')), "x");
  ASSERT_FALSE(long_key.ok());
  EXPECT_EQ(long_key.error().kind, "InvalidObjectKey");
}

TEST_F(S3IT, ManyConcurrentRequests) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client_->PutObject(Put("c/" + std::to_string(i)), std::to_string(i)).ok());
  }
  std::atomic<int> ok{0};
  std::atomic<int> done{0};
  std::mutex mu;
  std::condition_variable cv;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    client_->HeadObjectAsync({bucket_, "c/" + std::to_string(i % 20), {}, "", {}, {}},
                             [&](S3Result<ObjectInfo> r) {
                               if (r.ok()) ok++;
                               std::lock_guard lock(mu);
                               if (++done == n) cv.notify_all();
                             });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return done == n; }));
  EXPECT_EQ(ok.load(), n);
}

class MemSource final : public RandomAccessSource {
 public:
  explicit MemSource(const std::string& d) : d_(d) {}
  uint64_t Size() const override { return d_.size(); }
  bool ReadAt(uint64_t off, size_t len, std::string* out) override {
    *out = d_.substr(off, len);
    return true;
  }

 private:
  const std::string& d_;
};

// NFC-11: a large object through the high-level transfers, checked byte for byte.
TEST_F(S3IT, LargeUploadAndDownload) {
  std::string data = RandomData(110 << 20, 4);
  MemSource src(data);
  TransferOptions opt;
  opt.part_size = 8 << 20;
  opt.concurrency = 6;
  auto up = Upload(*client_, Put("large.bin"), src, opt);
  ASSERT_TRUE(up.ok()) << up.error().ToString();
  EXPECT_EQ(up->parts, 14u);
  testing::StringSink sink;
  auto down = Download(*client_, {bucket_, "large.bin"}, sink, opt);
  ASSERT_TRUE(down.ok()) << down.error().ToString();
  EXPECT_EQ(sink.data.size(), data.size());
  EXPECT_EQ(crypto::Sha256Hex(sink.data), crypto::Sha256Hex(data));
  auto uploads = client_->ListMultipartUploads({bucket_, "", "", "", "", {}});
  ASSERT_TRUE(uploads.ok());
  EXPECT_TRUE(uploads->uploads.empty());
}

}  // namespace
}  // namespace s3fs::s3
