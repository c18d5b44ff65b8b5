// Fuzz target: every S3 XML parser on arbitrary bytes. Must never crash, hang or read out of
// bounds (run under ASan/UBSan with -Db_sanitize=address,undefined).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "s3fs/s3/xml.h"

std::vector<std::string> FuzzSeeds() {
  return {
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>p%2F</Prefix>"
      "<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>%2F</Delimiter>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken>"
      "<EncodingType>url</EncodingType><Contents><Key>p%2Fa%20b</Key><LastModified>"
      "2024-01-02T03:04:05.678Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size>"
      "<StorageClass>STANDARD</StorageClass><Owner><ID>o</ID></Owner></Contents>"
      "<CommonPrefixes><Prefix>p%2Fsub%2F</Prefix></CommonPrefixes></ListBucketResult>",
      "<Error><Code>NoSuchKey</Code><Message>The key</Message><Key>k</Key><RequestId>r</RequestId>"
      "<Region>eu-west-1</Region></Error>",
      "<ListAllMyBucketsResult><Owner><ID>i</ID></Owner><Buckets><Bucket><Name>a</Name>"
      "<CreationDate>2019-12-11T23:32:47+00:00</CreationDate></Bucket></Buckets>"
      "</ListAllMyBucketsResult>",
      "<LocationConstraint>eu-west-1</LocationConstraint>",
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId>"
      "</InitiateMultipartUploadResult>",
      "<CompleteMultipartUploadResult><Location>l</Location><ETag>\"e-2\"</ETag>"
      "</CompleteMultipartUploadResult>",
      "<ListPartsResult><UploadId>u</UploadId><IsTruncated>true</IsTruncated>"
      "<NextPartNumberMarker>1</NextPartNumberMarker><Part><PartNumber>1</PartNumber>"
      "<ETag>e</ETag><Size>5242880</Size><LastModified>2024-01-01T00:00:00Z</LastModified></Part>"
      "</ListPartsResult>",
      "<ListMultipartUploadsResult><EncodingType>url</EncodingType><Upload><Key>a%20b</Key>"
      "<UploadId>u</UploadId><Initiated>2024-01-01T00:00:00.000Z</Initiated></Upload>"
      "</ListMultipartUploadsResult>",
      "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code>"
      "</Error></DeleteResult>",
      "<CopyObjectResult><ETag>e</ETag><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
      "</CopyObjectResult>",
      "<CopyPartResult><ETag>e</ETag></CopyPartResult>",
      "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
      "<a><![CDATA[</a></a>]]><!-- </a> --><b x='>'/></a>",
      std::string(200, '<') + "a>",
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace s3fs::s3;
  xml::ErrorBody e;
  (void)xml::ParseError(in, &e);
  (void)xml::ParseListObjectsV2(in);
  (void)xml::ParseListBuckets(in);
  (void)xml::ParseGetBucketLocation(in);
  (void)xml::ParseCreateMultipartUpload(in);
  (void)xml::ParseCompleteMultipartUpload(in);
  (void)xml::ParseListParts(in);
  (void)xml::ParseListMultipartUploads(in);
  (void)xml::ParseDeleteObjects(in);
  (void)xml::ParseCopyObject(in);
  (void)xml::ParseCopyPart(in);
  (void)xml::ParseTagging(in);
  TimePoint t;
  (void)xml::ParseIso8601(in, &t);
  (void)xml::ParseHttpDate(in, &t);
  return 0;
}
