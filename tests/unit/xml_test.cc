// S3 XML parsers and builders: AWS API reference sample bodies, RGW's variants, and garbage.
#include "s3fs/s3/xml.h"

#include <gtest/gtest.h>

namespace s3fs::s3::xml {
namespace {

TEST(XmlParse, ListObjectsV2Reference) {
  const char* body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Name>bucket</Name><Prefix/><KeyCount>205</KeyCount><MaxKeys>1000</MaxKeys>\n"
      "  <IsTruncated>false</IsTruncated>\n"
      "  <Contents><Key>my-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
      "    <ETag>\"fba9dede5f27731c9771645a39863328\"</ETag><Size>434234</Size>\n"
      "    <StorageClass>STANDARD</StorageClass></Contents>\n"
      "</ListBucketResult>";
  auto r = ParseListObjectsV2(body);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->name, "bucket");
  EXPECT_EQ(r->key_count, 205u);
  EXPECT_FALSE(r->is_truncated);
  ASSERT_EQ(r->contents.size(), 1u);
  EXPECT_EQ(r->contents[0].key, "my-image.jpg");
  EXPECT_EQ(r->contents[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(r->contents[0].size, 434234u);
  EXPECT_EQ(FormatIso8601(r->contents[0].last_modified), "2009-10-12T17:50:30.000Z");
}

TEST(XmlParse, ListObjectsV2UrlEncodedAndEntities) {
  const char* body =
      "<ListBucketResult><EncodingType>url</EncodingType><Prefix>dir%2F</Prefix>"
      "<Delimiter>%2F</Delimiter><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
      "<Contents><Key>dir%2Fa+b%26c%C3%BC</Key><Size>1</Size><ETag>&quot;e&quot;</ETag></Contents>"
      "<CommonPrefixes><Prefix>dir%2Fsub%2F</Prefix></CommonPrefixes></ListBucketResult>";
  auto r = ParseListObjectsV2(body);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->prefix, "dir/");
  EXPECT_EQ(r->delimiter, "/");
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(r->contents[0].key, "dir/a b&cü");
  EXPECT_EQ(r->contents[0].etag, "\"e\"");
  EXPECT_EQ(r->common_prefixes, (std::vector<std::string>{"dir/sub/"}));
}

TEST(XmlParse, MalformedAndWrongRoot) {
  auto trunc = ParseListObjectsV2("<ListBucketResult><Contents><Key>a</Key>");
  ASSERT_FALSE(trunc.ok());
  EXPECT_EQ(trunc.error().kind, "XmlParseError");
  auto wrong = ParseListObjectsV2("<ListAllMyBucketsResult/>");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, "InvalidResponse");
  auto bad_num = ParseListObjectsV2(
      "<ListBucketResult><Contents><Size>12x</Size></Contents>"
      "</ListBucketResult>");
  ASSERT_FALSE(bad_num.ok());
  EXPECT_EQ(bad_num.error().kind, "InvalidResponse");
  EXPECT_FALSE(ParseListObjectsV2("").ok());
  EXPECT_FALSE(ParseListObjectsV2(std::string(100000, '<') + "a>").ok());
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<a>";
  EXPECT_FALSE(ParseListObjectsV2(deep).ok());
}

TEST(XmlParse, ErrorBody) {
  ErrorBody e;
  ASSERT_TRUE(ParseError(
      "<?xml version=\"1.0\"?><Error><Code>PermanentRedirect</Code><Message>Use the endpoint"
      "</Message><Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint><Region>eu-west-1</Region>"
      "<RequestId>RID</RequestId></Error>",
      &e));
  EXPECT_EQ(e.code, "PermanentRedirect");
  EXPECT_EQ(e.region, "eu-west-1");
  EXPECT_EQ(e.request_id, "RID");
  EXPECT_FALSE(ParseError("<NotAnError/>", &e));
  EXPECT_FALSE(ParseError("garbage", &e));
}

TEST(XmlParse, CompleteAndCopyMayCarryErrorsIn200) {
  auto ok = ParseCompleteMultipartUpload(
      "<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key>"
      "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag></CompleteMultipartUploadResult>");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
  auto err = ParseCompleteMultipartUpload(
      "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message>"
      "</Error>");
  ASSERT_FALSE(err.ok());
  EXPECT_TRUE(err.error().retryable);
  EXPECT_EQ(err.error().category, Category::kServer);
  auto bad_part = ParseCompleteMultipartUpload("<Error><Code>InvalidPart</Code></Error>");
  ASSERT_FALSE(bad_part.ok());
  EXPECT_FALSE(bad_part.error().retryable);
  EXPECT_EQ(bad_part.error().category, Category::kMultipart);
  auto copy = ParseCopyObject(
      "<CopyObjectResult><LastModified>2009-10-28T22:32:00Z</LastModified>"
      "<ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>"
      "</CopyObjectResult>");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->etag, "\"9b2cf535f27731c974343645a3985328\"");
  EXPECT_FALSE(ParseCopyObject("<Error><Code>SlowDown</Code></Error>").ok());
  auto part = ParseCopyPart("<CopyPartResult><ETag>\"p\"</ETag></CopyPartResult>");
  ASSERT_TRUE(part.ok());
  EXPECT_FALSE(ParseCopyPart("<CopyPartResult/>").ok());
}

TEST(XmlParse, MultipartListingsBucketsTagsDeletes) {
  auto up = ParseCreateMultipartUpload(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->upload_id, "VXBsb2FkIElE");
  auto parts = ParseListParts(
      "<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId>"
      "<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts>"
      "<IsTruncated>true</IsTruncated><Part><PartNumber>2</PartNumber>"
      "<LastModified>2010-11-10T20:48:33.000Z</LastModified><ETag>\"7778\"</ETag>"
      "<Size>10485760</Size></Part></ListPartsResult>");
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(parts->is_truncated);
  EXPECT_EQ(parts->next_part_number_marker, 2u);
  EXPECT_EQ(parts->parts[0].size, 10485760u);
  auto uploads = ParseListMultipartUploads(
      "<ListMultipartUploadsResult><Bucket>b</Bucket><EncodingType>url</EncodingType>"
      "<IsTruncated>false</IsTruncated><Upload><Key>my%20movie.m2ts</Key><UploadId>u1</UploadId>"
      "<Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload></ListMultipartUploadsResult>");
  ASSERT_TRUE(uploads.ok());
  EXPECT_EQ(uploads->uploads[0].key, "my movie.m2ts");
  auto buckets = ParseListBuckets(
      "<ListAllMyBucketsResult><Owner><ID>o</ID><DisplayName>d</DisplayName></Owner><Buckets>"
      "<Bucket><Name>a</Name><CreationDate>2006-02-03T16:45:09.000Z</CreationDate></Bucket>"
      "<Bucket><Name>b</Name><CreationDate>2006-02-03T16:41:58.000Z</CreationDate></Bucket>"
      "</Buckets></ListAllMyBucketsResult>");
  ASSERT_TRUE(buckets.ok());
  EXPECT_EQ(buckets->buckets.size(), 2u);
  EXPECT_EQ(buckets->owner.display_name, "d");
  EXPECT_EQ(ParseGetBucketLocation("<LocationConstraint/>")->location_constraint, "");
  EXPECT_EQ(ParseGetBucketLocation("<LocationConstraint xmlns=\"x\">eu-west-1</LocationConstraint>")
                ->location_constraint,
            "eu-west-1");
  auto tags = ParseTagging(
      "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>"
      "<Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->tags.size(), 2u);
  EXPECT_EQ(tags->tags[1], (Tag{"b", ""}));
  auto del = ParseDeleteObjects(
      "<DeleteResult><Deleted><Key>a</Key><DeleteMarker>true</DeleteMarker></Deleted>"
      "<Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
      "</DeleteResult>");
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->deleted[0].delete_marker);
  EXPECT_EQ(del->errors[0].code, "AccessDenied");
}

TEST(XmlBuild, RoundTripsAndEscapes) {
  std::string d = BuildDeleteObjects({{"a&b<c>", ""}, {"v", "ver1"}}, true);
  EXPECT_NE(d.find("<Quiet>true</Quiet>"), std::string::npos);
  EXPECT_NE(d.find("<Key>a&amp;b&lt;c&gt;</Key>"), std::string::npos);
  EXPECT_NE(d.find("<VersionId>ver1</VersionId>"), std::string::npos);
  EXPECT_NE(BuildDeleteObjects({{std::string("x\x01y"), ""}}, false).find("x&#x1;y"),
            std::string::npos);
  std::string c = BuildCompleteMultipartUpload({{1, "\"e1\"", "AAAA"}, {2, "\"e2\"", "BBBB"}},
                                               ChecksumAlgorithm::kCrc32c);
  EXPECT_NE(c.find("<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
                   "<ChecksumCRC32C>AAAA</ChecksumCRC32C></Part>"),
            std::string::npos);
  auto t = ParseTagging(BuildTagging({{"k&", "v<"}, {"x", ""}}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->tags, (std::vector<Tag>{{"k&", "v<"}, {"x", ""}}));
  EXPECT_EQ(BuildCreateBucketConfiguration(""), "");
  EXPECT_EQ(BuildCreateBucketConfiguration("us-east-1"), "");
  EXPECT_NE(BuildCreateBucketConfiguration("eu-west-1")
                .find("<LocationConstraint>eu-west-1</LocationConstraint>"),
            std::string::npos);
}

TEST(XmlTime, Iso8601AndHttpDate) {
  TimePoint t;
  ASSERT_TRUE(ParseIso8601("2009-10-12T17:50:30.000Z", &t));
  EXPECT_EQ(FormatHttpDate(t), "Mon, 12 Oct 2009 17:50:30 GMT");
  ASSERT_TRUE(ParseIso8601("2024-02-29T23:59:59Z", &t));  // leap day
  EXPECT_EQ(FormatIso8601(t), "2024-02-29T23:59:59.000Z");
  ASSERT_TRUE(ParseIso8601("2019-12-11T23:32:47+00:00", &t));
  EXPECT_FALSE(ParseIso8601("2023-02-29T00:00:00Z", &t));
  EXPECT_FALSE(ParseIso8601("2023-13-01T00:00:00Z", &t));
  EXPECT_FALSE(ParseIso8601("2023-01-01T00:00:00+02:00", &t));
  EXPECT_FALSE(ParseIso8601("yesterday", &t));
  ASSERT_TRUE(ParseIso8601("1969-12-31T23:59:59.500Z", &t));
  EXPECT_EQ(FormatIso8601(t), "1969-12-31T23:59:59.500Z");
  ASSERT_TRUE(ParseHttpDate("Wed, 12 Oct 2009 17:50:30 GMT", &t));
  EXPECT_EQ(FormatIso8601(t), "2009-10-12T17:50:30.000Z");
  ASSERT_TRUE(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT", &t));
  EXPECT_EQ(t.time_since_epoch().count(), 0);
  ASSERT_TRUE(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", &t));
  EXPECT_EQ(FormatHttpDate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_FALSE(ParseHttpDate("Wed, 12 Foo 2009 17:50:30 GMT", &t));
  EXPECT_FALSE(ParseHttpDate("12 Oct 2009", &t));
}

}  // namespace
}  // namespace s3fs::s3::xml
