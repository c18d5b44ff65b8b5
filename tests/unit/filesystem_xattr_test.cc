// user.s3.* xattrs over the fake object store: tags, storage class, content type, read-only
// names, presigned URLs, limits and listing policy.
#include <fcntl.h>
#include <sys/xattr.h>

#include <gtest/gtest.h>

#include "s3fs/fs/filesystem.h"
#include "s3fs/fs/layout.h"
#include "tests/fakes/fake_object_store.h"

namespace s3fs::fs {
namespace {

using s3fs::testing::FakeObjectStore;
using namespace std::chrono_literals;

class FsXattrTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(Options{}); }

  void Make(Options o) {
    store_ = std::make_shared<FakeObjectStore>();
    clock_ = std::make_shared<FakeClock>(std::chrono::system_clock::time_point(1800000000s));
    StoredAttrs a;
    a.mode = S_IFREG | 0640;
    a.xattrs["user.note"] = "kept";
    std::map<std::string, std::string> md;
    EncodeAttrs(a, &md);
    store_->Seed("f", "hello", md, "text/plain");
    auto f = Filesystem::Create(o, store_, clock_);
    ASSERT_TRUE(f.ok());
    fs_ = std::move(f).value();
    auto e = fs_->Lookup(kRootIno, "f");
    ASSERT_TRUE(e.ok());
    ino_ = e->attr.ino;
  }

  int SetErr(const std::string& name, const std::string& value, int flags = 0) {
    auto r = fs_->SetXattr(ino_, name, value, flags);
    return r.ok() ? 0 : r.error();
  }
  std::string Get(const std::string& name) {
    auto r = fs_->GetXattr(ino_, name);
    EXPECT_TRUE(r.ok()) << name << " errno " << (r.ok() ? 0 : r.error());
    return r.ok() ? *r : "";
  }
  int GetErr(const std::string& name) {
    auto r = fs_->GetXattr(ino_, name);
    return r.ok() ? 0 : r.error();
  }

  std::shared_ptr<FakeObjectStore> store_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<Filesystem> fs_;
  Ino ino_ = 0;
};

TEST_F(FsXattrTest, TagsRoundTrip) {
  EXPECT_EQ(GetErr("user.s3.tags"), ENODATA);
  ASSERT_EQ(SetErr("user.s3.tags", "team=data&note=a%20b"), 0);
  auto tags = store_->Tags("f");
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(Get("user.s3.tag.note"), "a b");
  EXPECT_EQ(Get("user.s3.tag.team"), "data");
  EXPECT_EQ(GetErr("user.s3.tag.none"), ENODATA);
  // One tag at a time, with create/replace flags.
  ASSERT_EQ(SetErr("user.s3.tag.env", "prod"), 0);
  EXPECT_EQ(SetErr("user.s3.tag.env", "x", XATTR_CREATE), EEXIST);
  EXPECT_EQ(SetErr("user.s3.tag.other", "x", XATTR_REPLACE), ENODATA);
  ASSERT_EQ(SetErr("user.s3.tag.env", "dev", XATTR_REPLACE), 0);
  EXPECT_EQ(store_->Tags("f").size(), 3u);
  EXPECT_EQ(Get("user.s3.tag.env"), "dev");
  std::string all = Get("user.s3.tags");
  EXPECT_NE(all.find("env=dev"), std::string::npos);
  EXPECT_NE(all.find("note=a%20b"), std::string::npos);
  ASSERT_TRUE(fs_->RemoveXattr(ino_, "user.s3.tag.team").ok());
  EXPECT_EQ(store_->Tags("f").size(), 2u);
  EXPECT_EQ(fs_->RemoveXattr(ino_, "user.s3.tag.team").error(), ENODATA);
  ASSERT_TRUE(fs_->RemoveXattr(ino_, "user.s3.tags").ok());
  EXPECT_TRUE(store_->Tags("f").empty());
  EXPECT_EQ(GetErr("user.s3.tags"), ENODATA);
}

TEST_F(FsXattrTest, TagLimitsAreRefusedBeforeAnyRequest) {
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += (i ? "&k" : "k") + std::to_string(i) + "=v";
  store_->ResetCalls();
  EXPECT_EQ(SetErr("user.s3.tags", eleven), E2BIG);
  EXPECT_EQ(SetErr("user.s3.tag." + std::string(129, 'k'), "v"), E2BIG);
  EXPECT_EQ(SetErr("user.s3.tag.k", std::string(257, 'v')), E2BIG);
  EXPECT_EQ(SetErr("user.s3.tags", "=v"), EINVAL);
  EXPECT_EQ(SetErr("user.s3.tags", "a=1&a=2"), EINVAL);
  EXPECT_EQ(store_->Calls("PutTags"), 0);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(SetErr("user.s3.tag.k" + std::to_string(i), "v"), 0);
  EXPECT_EQ(SetErr("user.s3.tag.k10", "v"), E2BIG);  // an eleventh, one at a time
  EXPECT_EQ(store_->Tags("f").size(), 10u);
}

TEST_F(FsXattrTest, StorageClassAndContentTypeRewriteInPlaceKeepingMetadata) {
  ASSERT_EQ(SetErr("user.s3.tag.keep", "1"), 0);
  EXPECT_EQ(Get("user.s3.storage_class"), "STANDARD");
  ASSERT_EQ(SetErr("user.s3.storage_class", "STANDARD_IA"), 0);
  EXPECT_EQ(store_->StorageClass("f"), "STANDARD_IA");
  EXPECT_EQ(Get("user.s3.storage_class"), "STANDARD_IA");
  EXPECT_EQ(store_->Body("f"), "hello");
  EXPECT_EQ(store_->Tags("f").size(), 1u);
  EXPECT_EQ(Get("user.note"), "kept");
  EXPECT_EQ(fs_->GetAttr(ino_)->mode, S_IFREG | 0640u);
  EXPECT_EQ(SetErr("user.s3.storage_class", "PLATINUM"), EINVAL);
  // A later chmod keeps the class; a content type change keeps it too.
  ASSERT_EQ(SetErr("user.s3.content_type", "application/json"), 0);
  EXPECT_EQ(store_->ContentType("f"), "application/json");
  EXPECT_EQ(store_->StorageClass("f"), "STANDARD_IA");
  EXPECT_EQ(Get("user.s3.content_type"), "application/json");
  SetAttrRequest chmod;
  chmod.mode = 0600;
  ASSERT_TRUE(fs_->SetAttr(ino_, chmod, std::nullopt, Caller{}).ok());
  EXPECT_EQ(store_->StorageClass("f"), "STANDARD_IA");
  EXPECT_EQ(store_->ContentType("f"), "application/json");
}

TEST_F(FsXattrTest, ReadOnlyAndUnknownNames) {
  std::string etag = Get("user.s3.etag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(etag.find('"'), std::string::npos);
  EXPECT_EQ(Get("user.s3.last_modified"), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(GetErr("user.s3.sse"), ENODATA);         // not encrypted
  EXPECT_EQ(GetErr("user.s3.version_id"), ENODATA);  // unversioned
  for (const char* ro : {"user.s3.etag", "user.s3.sse", "user.s3.sse_kms_key_id",
                         "user.s3.version_id", "user.s3.last_modified", "user.s3.presigned_url"}) {
    EXPECT_EQ(SetErr(ro, "x"), EPERM) << ro;
    EXPECT_EQ(fs_->RemoveXattr(ino_, ro).error(), EPERM) << ro;
  }
  EXPECT_EQ(GetErr("user.s3.colour"), ENODATA);
  EXPECT_EQ(SetErr("user.s3.colour", "x"), ENOTSUP);
  EXPECT_EQ(SetErr("security.selinux", "x"), ENOTSUP);
  store_->ResetCalls();
  EXPECT_EQ(GetErr("security.selinux"), ENOTSUP);
  EXPECT_EQ(GetErr("system.posix_acl_access"), ENOTSUP);
  EXPECT_EQ(store_->TotalCalls(), 0);
}

TEST_F(FsXattrTest, PresignedUrlUsesTheConfiguredLifetime) {
  Options o;
  o.presign_expires = 600s;
  Make(o);
  std::string url = Get("user.s3.presigned_url");
  EXPECT_NE(url.find("/f?"), std::string::npos);
  EXPECT_NE(url.find("X-Amz-Expires=600"), std::string::npos);
}

TEST_F(FsXattrTest, VirtualNamesAreListedOnlyOnRequest) {
  auto names = fs_->ListXattr(ino_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"user.note"});
  Options o;
  o.list_s3_xattrs = true;
  Make(o);
  names = fs_->ListXattr(ino_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 10u);
  EXPECT_NE(std::find(names->begin(), names->end(), "user.s3.storage_class"), names->end());
}

TEST_F(FsXattrTest, DirtyFileIsUploadedBeforeItsTagsChange) {
  Caller caller{0, 0, 022};
  auto c = fs_->Create(kRootIno, "new", S_IFREG | 0644, O_WRONLY | O_CREAT, caller);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(fs_->Write(c->first.attr.ino, c->second, 0, "abc", 3).ok());
  ASSERT_TRUE(fs_->SetXattr(c->first.attr.ino, "user.s3.tag.k", "v", 0).ok());
  EXPECT_EQ(store_->Body("new"), "abc");
  EXPECT_EQ(store_->Tags("new").size(), 1u);
  ASSERT_TRUE(fs_->Release(c->first.attr.ino, c->second).ok());
}

TEST_F(FsXattrTest, RewritesPutBackTagsAServerDropped) {
  store_->DropTagsOnCopy(true);
  ASSERT_EQ(SetErr("user.s3.tags", "a=1&b=2"), 0);
  SetAttrRequest chmod;
  chmod.mode = 0600;
  ASSERT_TRUE(fs_->SetAttr(ino_, chmod, std::nullopt, Caller{}).ok());
  EXPECT_EQ(store_->Tags("f").size(), 2u);
  ASSERT_EQ(SetErr("user.s3.storage_class", "GLACIER"), 0);
  EXPECT_EQ(store_->Tags("f").size(), 2u);
  // An untagged object costs no tagging request on chmod.
  ASSERT_TRUE(fs_->RemoveXattr(ino_, "user.s3.tags").ok());
  store_->ResetCalls();
  ASSERT_TRUE(fs_->SetAttr(ino_, chmod, std::nullopt, Caller{}).ok());
  EXPECT_EQ(store_->Calls("GetTags") + store_->Calls("PutTags"), 0);
}

TEST_F(FsXattrTest, FailedRewriteLeavesTheObjectAlone) {
  s3::S3Error e;
  e.kind = "NotImplemented";
  e.http_status = 501;
  store_->FailNext("Copy", e);
  EXPECT_EQ(SetErr("user.s3.storage_class", "STANDARD_IA"), ENOTSUP);
  EXPECT_EQ(store_->StorageClass("f"), "");
  EXPECT_EQ(store_->Body("f"), "hello");
}

}  // namespace
}  // namespace s3fs::fs
