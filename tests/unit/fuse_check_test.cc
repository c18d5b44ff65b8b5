// The one-line FUSE diagnoses given before a mount is tried.
#include "fuse_check.h"

#include <gtest/gtest.h>

namespace s3fs::cli {
namespace {

TEST(FuseCheck, HealthyMachineSaysNothing) {
  EXPECT_EQ(CheckFuseUsable(FuseFacts{}), "");
  FuseFacts user;
  user.is_root = false;
  EXPECT_EQ(CheckFuseUsable(user), "");
  user.allow_other_asked = true;
  user.user_allow_other = true;
  EXPECT_EQ(CheckFuseUsable(user), "");
}

TEST(FuseCheck, MissingDeviceSaysModprobe) {
  FuseFacts f;
  f.dev_fuse_exists = false;
  const std::string m = CheckFuseUsable(f);
  EXPECT_NE(m.find("FUSE is not available"), std::string::npos) << m;
  EXPECT_NE(m.find("modprobe fuse"), std::string::npos) << m;
  EXPECT_NE(m.find("--device /dev/fuse"), std::string::npos) << m;
}

TEST(FuseCheck, NonRootWithoutFusermount) {
  FuseFacts f;
  f.is_root = false;
  f.fusermount_found = false;
  EXPECT_NE(CheckFuseUsable(f).find("apt-get install fuse3"), std::string::npos);
  f.is_root = true;  // root mounts directly, without fusermount3
  EXPECT_EQ(CheckFuseUsable(f), "");
}

TEST(FuseCheck, DeviceClosedToUsers) {
  FuseFacts f;
  f.is_root = false;
  f.dev_fuse_usable = false;
  const std::string m = CheckFuseUsable(f);
  EXPECT_NE(m.find("chmod 0666 /dev/fuse"), std::string::npos) << m;
  f.is_root = true;  // root opens it whatever its mode
  f.dev_fuse_usable = true;
  EXPECT_EQ(CheckFuseUsable(f), "");
}

TEST(FuseCheck, AllowOtherAsNonRootNeedsFuseConf) {
  FuseFacts f;
  f.is_root = false;
  f.allow_other_asked = true;
  f.dev_fuse_usable = false;  // the configuration is said first
  const std::string m = CheckFuseUsable(f);
  EXPECT_NE(m.find("user_allow_other in /etc/fuse.conf"), std::string::npos) << m;
  EXPECT_NE(m.find("echo user_allow_other >> /etc/fuse.conf"), std::string::npos) << m;
  f.is_root = true;
  EXPECT_EQ(CheckFuseUsable(f), "");
}

TEST(FuseCheck, FuseConfParsing) {
  EXPECT_FALSE(FuseConfAllowsOther(""));
  EXPECT_FALSE(FuseConfAllowsOther("#user_allow_other\n# mount_max = 1000\n"));
  EXPECT_FALSE(FuseConfAllowsOther("user_allow_others\n"));
  EXPECT_TRUE(FuseConfAllowsOther("# comment\nuser_allow_other\n"));
  EXPECT_TRUE(FuseConfAllowsOther("  user_allow_other \r\nmount_max = 5"));
}

TEST(FuseCheck, S3fsMountedAtReadsTheTopmostMount) {
  const std::string info =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "40 22 0:45 / /mnt/s3 rw,nosuid,nodev shared:20 - fuse.s3fs s3fs:photos rw,user_id=0\n"
      "41 22 0:46 / /mnt/my\\040disk rw - fuse.s3fs s3fs rw,user_id=0\n"
      "42 22 0:47 / /mnt/vol rw - ext4 /dev/sdb1 rw\n"
      "43 22 0:48 / /mnt/tmp rw - fuse.s3fs s3fs:a rw\n"
      "44 43 0:49 / /mnt/tmp rw - tmpfs none rw\n";
  EXPECT_EQ(S3fsMountedAt(info, "/mnt/s3"), "s3fs:photos");
  EXPECT_EQ(S3fsMountedAt(info, "/mnt/my disk"), "s3fs");  // s3fs-fuse, escaped space
  EXPECT_EQ(S3fsMountedAt(info, "/mnt/vol"), "");  // another filesystem: mounting on it is fine
  EXPECT_EQ(S3fsMountedAt(info, "/mnt/tmp"), "");  // covered by a later mount
  EXPECT_EQ(S3fsMountedAt(info, "/mnt"), "");
}

TEST(FuseCheck, GatherSeesAllowOtherOption) {
  EXPECT_TRUE(GatherFuseFacts({"ro", "allow_other"}).allow_other_asked);
  EXPECT_TRUE(GatherFuseFacts({"allow_root"}).allow_other_asked);
  EXPECT_FALSE(GatherFuseFacts({"ro"}).allow_other_asked);
}

}  // namespace
}  // namespace s3fs::cli
