// The write-back layer against a real server: a streamed multipart upload from a staging
// file, and the clean-up of multipart uploads a crash left behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "s3fs/s3/crypto.h"
#include "s3fs/write/multipart_session.h"
#include "s3fs/write/stale_uploads.h"
#include "s3fs/write/streaming_upload.h"
#include "tests/integration/s3_fixture.h"

namespace s3fs::s3 {
namespace {

constexpr uint64_t kMiB = 1ULL << 20;

// An unlinked temporary file holding `data`.
int TempFileWith(const std::string& data) {
  int fd = ::open("/tmp", O_TMPFILE | O_RDWR, 0600);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::pwrite(fd, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  return fd;
}

TEST_F(S3IT, StreamedUploadFromAStagingFile) {
  std::string data = RandomData(23 * kMiB + 777, 7);
  int fd = TempFileWith(data);
  CreateMultipartUploadRequest create;
  create.bucket = bucket_;
  create.key = "streamed.bin";
  create.attrs.metadata["mode"] = "33188";
  auto session = write::StartS3Multipart(client_.get(), create);
  ASSERT_TRUE(session.ok()) << session.error().ToString();
  write::StreamingOptions o;
  o.part_size = 5 * kMiB;
  o.max_in_flight = 2;
  write::StreamingUpload up(std::move(session).value(), fd, o);
  // As a writer would: advance 1 MiB at a time.
  for (uint64_t end = kMiB; end <= data.size(); end += kMiB) ASSERT_TRUE(up.Advance(end));
  EXPECT_EQ(up.parts_sent(), 3u);  // [0,5) [5,10) [10,15): the rest waits for the slack
  auto listed = client_->ListMultipartUploads({bucket_, "streamed", "", "", "", {}});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->uploads.size(), 1u);
  EXPECT_EQ(client_->HeadObject({bucket_, "streamed.bin", {}, "", {}, {}}).error().kind,
            "ObjectNotFound");
  auto etag = up.Finish(data.size());
  ASSERT_TRUE(etag.ok()) << etag.error().ToString();
  EXPECT_NE(etag->find("-5"), std::string::npos) << *etag;  // 5 parts
  auto got = client_->GetObject({bucket_, "streamed.bin"});
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_TRUE(got->body == data);
  EXPECT_EQ(got->info.metadata["mode"], "33188");
  auto after = client_->ListMultipartUploads({bucket_, "streamed", "", "", "", {}});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->uploads.empty());
  ::close(fd);
}

TEST_F(S3IT, AbortedStreamLeavesNoObjectAndNoUpload) {
  std::string data = RandomData(12 * kMiB, 8);
  int fd = TempFileWith(data);
  CreateMultipartUploadRequest create;
  create.bucket = bucket_;
  create.key = "aborted.bin";
  auto session = write::StartS3Multipart(client_.get(), create);
  ASSERT_TRUE(session.ok());
  write::StreamingOptions o;
  o.part_size = 5 * kMiB;
  {
    write::StreamingUpload up(std::move(session).value(), fd, o);
    ASSERT_TRUE(up.Advance(data.size()));
    EXPECT_EQ(up.parts_sent(), 1u);
    up.Abort();
  }
  auto listed = client_->ListMultipartUploads({bucket_, "", "", "", "", {}});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->uploads.empty());
  EXPECT_EQ(client_->HeadObject({bucket_, "aborted.bin", {}, "", {}, {}}).error().kind,
            "ObjectNotFound");
  ::close(fd);
}

TEST_F(S3IT, StaleUploadsUnderThePrefixAreAbortedAfterTheGrace) {
  std::vector<std::string> ids;
  for (const char* key : {"mnt/a.bin", "mnt/sub/b.bin", "other/c.bin"}) {
    auto up = client_->CreateMultipartUpload({bucket_, key, {}, {}, {}});
    ASSERT_TRUE(up.ok()) << up.error().ToString();
    ids.push_back(up->upload_id);
  }
  auto now = std::chrono::system_clock::now();
  auto young = write::AbortStaleUploads(client_.get(), bucket_, "mnt/", 1h, now);
  ASSERT_TRUE(young.ok()) << young.error().ToString();
  EXPECT_EQ(young->found, 2);
  EXPECT_EQ(young->aborted, 0);  // younger than the grace: may belong to a live writer
  auto old = write::AbortStaleUploads(client_.get(), bucket_, "mnt/", 1h, now + 2h);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->found, 2);
  EXPECT_EQ(old->aborted, 2);
  EXPECT_EQ(old->failed, 0);
  auto left = client_->ListMultipartUploads({bucket_, "", "", "", "", {}});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->uploads.size(), 1u);
  EXPECT_EQ(left->uploads[0].key, "other/c.bin");  // outside the mount's prefix
}

}  // namespace
}  // namespace s3fs::s3
