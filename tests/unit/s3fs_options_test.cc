// The s3fs-fuse compatible command line: positional arguments, -o options, their validation,
// and the values each layer receives.
#include "s3fs_options.h"

#include <gtest/gtest.h>

namespace s3fs::cli {
namespace {

Result<MountConfig, ParseError> Parse(std::vector<std::string> args) {
  return ParseMountArgs(args, 1000, 1000);
}

TEST(MountArgs, BucketPrefixAndMountpoint) {
  auto c = Parse({"bkt:/photos/2024", "/mnt/p", "-o", "url=http://h:1,use_path_request_style"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->bucket, "bkt");
  EXPECT_EQ(c->prefix, "photos/2024/");
  EXPECT_EQ(c->mountpoint, "/mnt/p");
  EXPECT_EQ(c->conn.endpoint, "http://h:1");
  EXPECT_TRUE(c->conn.path_style);
}

TEST(MountArgs, MetadataCacheOptions) {
  auto c = Parse({"b", "/m"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->meta_cache);
  EXPECT_TRUE(c->meta_cache_dir.empty());
  c = Parse({"b", "/m", "-o",
             "meta_cache=/var/tmp/mc,meta_cache_size=64,max_stat_cache_size=5000,"
             "noobj_cache_expire=3,use_cache=/srv/stage"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->meta_cache_dir, "/var/tmp/mc");
  EXPECT_EQ(c->meta_cache_bytes, 64ULL << 20);
  EXPECT_EQ(c->meta_cache_entries, 5000u);
  EXPECT_EQ(c->fs.negative_ttl, std::chrono::seconds(3));
  EXPECT_TRUE(c->use_cache_given);
  EXPECT_EQ(c->fs.staging_dir, "/srv/stage");
  c = Parse({"b", "/m", "-o", "meta_cache=off"});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->meta_cache);
  EXPECT_FALSE(Parse({"b", "/m", "-o", "meta_cache_size=0"}).ok());
  EXPECT_FALSE(Parse({"b", "/m", "-o", "meta_cache"}).ok());
}

TEST(MountArgs, StatCacheIntervalExpireCountsFromLastUse) {
  auto c = Parse({"b", "/m", "-o", "stat_cache_interval_expire=900"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->fs.stat_ttl, std::chrono::seconds(900));
  EXPECT_TRUE(c->fs.stat_ttl_from_access);
  EXPECT_TRUE(c->warnings.empty());
  // Exclusive with stat_cache_expire, as in s3fs-fuse: the last one given decides.
  c = Parse({"b", "/m", "-o", "stat_cache_interval_expire=900,stat_cache_expire=30"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->fs.stat_ttl, std::chrono::seconds(30));
  EXPECT_FALSE(c->fs.stat_ttl_from_access);
  EXPECT_FALSE(Parse({"b", "/m", "-o", "stat_cache_interval_expire=x"}).ok());
}

TEST(MountArgs, StorageClassIsNormalisedAndChecked) {
  auto c = Parse({"b", "/m", "-o", "storage_class=standard_ia"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->fs.write_defaults.storage_class, "STANDARD_IA");
  auto bad = Parse({"b", "/m", "-o", "storage_class=platinum"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("storage_class=platinum"), std::string::npos);
}

TEST(MountArgs, XattrAndDirtyDataOptions) {
  auto c = Parse({"b", "/m", "-o", "list_s3_xattrs,presign_expires=600,max_dirty_data=-1"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->fs.list_s3_xattrs);
  EXPECT_EQ(c->fs.presign_expires, std::chrono::seconds(600));
  EXPECT_FALSE(Parse({"b", "/m", "-o", "presign_expires=0"}).ok());
  EXPECT_FALSE(Parse({"b", "/m", "-o", "presign_expires=604801"}).ok());
  EXPECT_FALSE(Parse({"b", "/m", "-o", "max_dirty_data=lots"}).ok());
  EXPECT_EQ(c->fs.max_dirty_data, 0u);  // -1: no limit
  auto d = Parse({"b", "/m", "-o", "max_dirty_data=100"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->fs.max_dirty_data, 100ULL << 20);
  EXPECT_FALSE(Parse({"b", "/m", "-o", "max_dirty_data=10"}).ok());  // s3fs-fuse's floor is 50
  EXPECT_EQ(Parse({"b", "/m"})->fs.max_dirty_data, 5120ULL << 20);
}

TEST(MountArgs, TmpdirStagesWrittenDataUnlessUseCacheIsGiven) {
  EXPECT_EQ(Parse({"b", "/m", "-o", "tmpdir=/var/tmp"})->fs.staging_dir, "/var/tmp");
  EXPECT_EQ(Parse({"b", "/m", "-o", "tmpdir=/var/tmp,use_cache=/srv/c"})->fs.staging_dir, "/srv/c");
  EXPECT_FALSE(Parse({"b", "/m", "-o", "tmpdir"}).ok());
}

TEST(MountArgs, RateLimitOptions) {
  auto c = Parse({"b", "/m"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->conn.max_requests_per_sec, 0u);
  EXPECT_TRUE(c->conn.adaptive_slowdown);
  EXPECT_FALSE(RateLimitsFor(c->conn).partition);
  c = Parse({"b", "/m", "-o",
             "url=http://127.0.0.1:7480,max_requests_per_sec=200,max_concurrent_requests=16,"
             "max_upload_bps=20M,max_download_bps=1G,adaptive_slowdown=0,rate_limit_per_bucket"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->conn.max_requests_per_sec, 200u);
  EXPECT_EQ(c->conn.max_concurrent_requests, 16u);
  EXPECT_EQ(c->conn.max_upload_bps, 20ULL << 20);
  EXPECT_EQ(c->conn.max_download_bps, 1ULL << 30);
  EXPECT_FALSE(c->conn.adaptive_slowdown);
  http::RateLimits l = RateLimitsFor(c->conn);
  EXPECT_DOUBLE_EQ(l.requests_per_sec, 200);
  EXPECT_EQ(l.max_concurrent, 16);
  EXPECT_EQ(l.upload_bytes_per_sec, 20ULL << 20);
  EXPECT_FALSE(l.adaptive);
  ASSERT_TRUE(l.partition);
  http::Request r;
  r.url = "http://127.0.0.1:7480/bkt/some/key";
  EXPECT_EQ(l.partition(r), "127.0.0.1:7480/bkt");
  c = Parse({"b", "/m", "-o", "max_download_bps=512K"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->conn.max_download_bps, 512ULL << 10);
  EXPECT_FALSE(Parse({"b", "/m", "-o", "max_upload_bps=fast"}).ok());
  EXPECT_FALSE(Parse({"b", "/m", "-o", "max_requests_per_sec=-1"}).ok());
  EXPECT_FALSE(Parse({"b", "/m", "-o", "adaptive_slowdown=maybe"}).ok());
}

TEST(MountArgs, NoCheckCertificateTurnsVerificationOff) {
  auto c = Parse({"b", "/m"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->conn.verify_tls);
  c = Parse({"b", "/m", "-o", "no_check_certificate"});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->conn.verify_tls);
  EXPECT_FALSE(c->warnings.empty());
}

TEST(MountArgs, UnknownOptionNamesItself) {
  auto c = Parse({"b", "/m", "-o", "no_such_option=1"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("no_such_option"), std::string::npos);
}

TEST(MountArgs, MetricsOptions) {
  auto c = Parse({"b", "/m"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->metrics_port, 0);
  EXPECT_TRUE(c->metrics_file.empty());
  EXPECT_EQ(c->metrics_interval, std::chrono::seconds(10));
  c = Parse({"b", "/m", "-o", "metrics_port=9100,metrics_file=/run/s3fs.prom,metrics_interval=3"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->metrics_port, 9100);
  EXPECT_EQ(c->metrics_file, "/run/s3fs.prom");
  EXPECT_EQ(c->metrics_interval, std::chrono::seconds(3));
  for (const char* bad : {"metrics_port=0", "metrics_port=65536", "metrics_port=x",
                          "metrics_file=relative.prom", "metrics_file=", "metrics_interval=0"}) {
    auto r = Parse({"b", "/m", "-o", bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(std::string(bad).substr(0, 10)), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace s3fs::cli
