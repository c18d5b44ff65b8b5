// Request bodies: Delete, CompleteMultipartUpload, Tagging, CreateBucketConfiguration.
#include "s3fs/s3/xml.h"

namespace s3fs::s3::xml {

namespace {
constexpr std::string_view kHeader = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
constexpr std::string_view kNs = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

void Element(std::string* out, std::string_view name, std::string_view text) {
  *out += '<';
  *out += name;
  *out += '>';
  *out += Escape(text);
  *out += "</";
  *out += name;
  *out += '>';
}
}  // namespace

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (u < 0x20) {
          // Control characters (legal in S3 keys) as numeric references, which S3 accepts.
          char buf[8];
          std::snprintf(buf, sizeof buf, "&#x%X;", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string BuildDeleteObjects(const std::vector<ObjectIdentifier>& objects, bool quiet) {
  std::string out(kHeader);
  out += "<Delete";
  out += kNs;
  out += '>';
  if (quiet) out += "<Quiet>true</Quiet>";
  for (const auto& o : objects) {
    out += "<Object>";
    Element(&out, "Key", o.key);
    if (!o.version_id.empty()) Element(&out, "VersionId", o.version_id);
    out += "</Object>";
  }
  out += "</Delete>";
  return out;
}

std::string BuildCompleteMultipartUpload(const std::vector<CompletedPart>& parts,
                                         ChecksumAlgorithm algo) {
  std::string_view checksum_name;
  switch (algo) {
    case ChecksumAlgorithm::kCrc32:
      checksum_name = "ChecksumCRC32";
      break;
    case ChecksumAlgorithm::kCrc32c:
      checksum_name = "ChecksumCRC32C";
      break;
    case ChecksumAlgorithm::kSha1:
      checksum_name = "ChecksumSHA1";
      break;
    case ChecksumAlgorithm::kSha256:
      checksum_name = "ChecksumSHA256";
      break;
    case ChecksumAlgorithm::kNone:
      break;
  }
  std::string out(kHeader);
  out += "<CompleteMultipartUpload";
  out += kNs;
  out += '>';
  for (const auto& p : parts) {
    out += "<Part>";
    Element(&out, "PartNumber", std::to_string(p.part_number));
    Element(&out, "ETag", p.etag);
    if (!checksum_name.empty() && !p.checksum.empty()) Element(&out, checksum_name, p.checksum);
    out += "</Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::string BuildTagging(const std::vector<Tag>& tags) {
  std::string out(kHeader);
  out += "<Tagging";
  out += kNs;
  out += "><TagSet>";
  for (const auto& t : tags) {
    out += "<Tag>";
    Element(&out, "Key", t.key);
    Element(&out, "Value", t.value);
    out += "</Tag>";
  }
  out += "</TagSet></Tagging>";
  return out;
}

std::string BuildCreateBucketConfiguration(const std::string& location_constraint) {
  if (location_constraint.empty() || location_constraint == "us-east-1") return {};
  std::string out(kHeader);
  out += "<CreateBucketConfiguration";
  out += kNs;
  out += '>';
  Element(&out, "LocationConstraint", location_constraint);
  out += "</CreateBucketConfiguration>";
  return out;
}

}  // namespace s3fs::s3::xml
