// S3 response parsers. The only file that includes RapidXML. RapidXML parses in place and
// recurses per nesting level, so every document is copied, NUL-terminated, and its nesting
// depth checked before parsing; parse errors (exceptions inside RapidXML) never escape.
#include <rapidxml/rapidxml.hpp>

#include <charconv>
#include <cstring>

#include "s3fs/common/strings.h"
#include "s3fs/s3/uri.h"
#include "s3fs/s3/xml.h"

namespace s3fs::s3::xml {

namespace {

using Node = rapidxml::xml_node<char>;
constexpr int kMaxDepth = 64;

// Nesting depth of the document, skipping comments, CDATA, processing instructions,
// declarations and quoted attribute values. Returns kMaxDepth + 1 when too deep.
int MaxDepth(std::string_view s) {
  int depth = 0;
  int max = 0;
  size_t i = 0;
  auto skip_to = [&](std::string_view end) {
    size_t p = s.find(end, i);
    i = p == std::string_view::npos ? s.size() : p + end.size();
  };
  while (i < s.size()) {
    if (s[i] != '<') {
      ++i;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      skip_to("-->");
    } else if (s.compare(i, 9, "<![CDATA[") == 0) {
      skip_to("]]>");
    } else if (s.compare(i, 2, "<?") == 0) {
      skip_to("?>");
    } else if (s.compare(i, 2, "<!") == 0) {
      skip_to(">");
    } else if (s.compare(i, 2, "</") == 0) {
      skip_to(">");
      --depth;
    } else {
      ++i;
      char quote = 0;
      bool self_closing = false;
      while (i < s.size()) {
        char c = s[i++];
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '>') {
          self_closing = i >= 2 && s[i - 2] == '/';
          break;
        }
      }
      if (!self_closing && ++depth > max) max = depth;
      if (max > kMaxDepth) return max;
    }
  }
  return max;
}

std::string_view LocalName(const Node* n) {
  std::string_view name(n->name(), n->name_size());
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

const Node* Child(const Node* parent, std::string_view name) {
  for (const Node* c = parent->first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() == rapidxml::node_element && LocalName(c) == name) return c;
  }
  return nullptr;
}

template <typename F>
void ForEach(const Node* parent, std::string_view name, F&& f) {
  for (const Node* c = parent->first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() == rapidxml::node_element && LocalName(c) == name) f(c);
  }
}

// Text content of an element (concatenated data and CDATA children).
std::string Text(const Node* n) {
  if (n == nullptr) return {};
  std::string out;
  for (const Node* c = n->first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() == rapidxml::node_data || c->type() == rapidxml::node_cdata) {
      out.append(c->value(), c->value_size());
    }
  }
  return out;
}

std::string ChildText(const Node* parent, std::string_view name) {
  return Text(Child(parent, name));
}

// A parsed document: owns the buffer RapidXML points into.
class Doc {
 public:
  // Parses `body`; on failure error() says why.
  // With `wipe`, the copy of the body is wiped when the document is destroyed (secrets).
  explicit Doc(std::string_view body, bool wipe = false)
      : buf_(body.begin(), body.end()), wipe_(wipe) {
    buf_.push_back('\0');
    if (MaxDepth(body) > kMaxDepth) {
      error_ = "XML nesting deeper than " + std::to_string(kMaxDepth);
      return;
    }
    try {
      doc_.parse<rapidxml::parse_default>(buf_.data());
    } catch (const rapidxml::parse_error& e) {
      error_ = std::string("malformed XML: ") + e.what();
      return;
    } catch (...) {
      error_ = "malformed XML";
      return;
    }
    for (Node* c = doc_.first_node(); c != nullptr; c = c->next_sibling()) {
      if (c->type() == rapidxml::node_element) {
        root_ = c;
        break;
      }
    }
    if (root_ == nullptr) error_ = "empty XML document";
  }
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;
  ~Doc() {
    if (wipe_) SecureWipe(buf_.data(), buf_.size());
  }
  const std::string& error() const { return error_; }
  const Node* root() const { return root_; }

 private:
  std::vector<char> buf_;
  bool wipe_ = false;
  rapidxml::xml_document<char> doc_;
  Node* root_ = nullptr;
  std::string error_;
};

S3Error Invalid(const std::string& what) { return ResponseError("InvalidResponse", what); }

// Parses `body` and checks the root element; a 200 answer with an <Error> root (Complete,
// Copy) becomes the error it describes.
template <typename T>
bool Open(const Doc& doc, std::string_view root, S3Result<T>* failure, bool error_root_ok) {
  if (!doc.error().empty()) {
    *failure = Fail(ResponseError("XmlParseError", doc.error()));
    return false;
  }
  std::string_view name = LocalName(doc.root());
  if (name == root) return true;
  if (error_root_ok && name == "Error") {
    S3Error e;
    e.s3_code = ChildText(doc.root(), "Code");
    e.message = ChildText(doc.root(), "Message");
    e.request_id = ChildText(doc.root(), "RequestId");
    e.http_status = 200;
    e.kind = e.s3_code.empty() ? "InternalError" : e.s3_code;
    if (e.kind == "InternalError" || e.kind == "SlowDown" || e.kind == "ServiceUnavailable") {
      e.category = Category::kServer;
      e.retryable = true;
    } else if (e.kind == "NoSuchKey") {
      e.category = Category::kObject;
      e.kind = "ObjectNotFound";
    } else if (e.kind == "NoSuchUpload") {
      e.category = Category::kMultipart;
      e.kind = "UploadNotFound";
    } else if (e.kind == "InvalidPart" || e.kind == "InvalidPartOrder" ||
               e.kind == "EntityTooSmall") {
      e.category = Category::kMultipart;
    } else if (e.kind == "AccessDenied") {
      e.category = Category::kAccess;
    } else {
      e.category = Category::kResponse;
    }
    if (e.message.empty()) e.message = "request failed inside a 200 answer: " + e.s3_code;
    *failure = Fail(std::move(e));
    return false;
  }
  *failure = Fail(Invalid("expected <" + std::string(root) + ">, got <" + std::string(name) + ">"));
  return false;
}

template <typename U>
bool Number(const std::string& text, U* out) {
  std::string_view t = str::Trim(text);
  if (t.empty()) return false;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
  return ec == std::errc() && p == t.data() + t.size();
}

// Optional numeric child: absent is fine, malformed is an error.
template <typename U>
bool OptNumber(const Node* parent, std::string_view name, U* out, std::string* error) {
  const Node* c = Child(parent, name);
  if (c == nullptr) return true;
  if (Number(Text(c), out)) return true;
  *error = "bad number in <" + std::string(name) + ">";
  return false;
}

bool Bool(const Node* parent, std::string_view name) {
  return str::ToLower(ChildText(parent, name)) == "true";
}

bool OptTime(const Node* parent, std::string_view name, TimePoint* out, std::string* error) {
  const Node* c = Child(parent, name);
  if (c == nullptr) return true;
  if (ParseIso8601(Text(c), out)) return true;
  *error = "bad time in <" + std::string(name) + ">";
  return false;
}

bool MaybeDecode(bool url, std::string* s) {
  if (!url) return true;
  std::string out;
  if (!uri::Decode(*s, &out, /*plus_is_space=*/true)) return false;
  *s = std::move(out);
  return true;
}

}  // namespace

bool ParseError(std::string_view body, ErrorBody* out) {
  Doc doc(body);
  if (!doc.error().empty() || LocalName(doc.root()) != "Error") return false;
  const Node* r = doc.root();
  out->code = ChildText(r, "Code");
  out->message = ChildText(r, "Message");
  out->request_id = ChildText(r, "RequestId");
  out->region = ChildText(r, "Region");
  out->endpoint = ChildText(r, "Endpoint");
  out->bucket_name = ChildText(r, "BucketName");
  out->key = ChildText(r, "Key");
  return true;
}

S3Result<ListObjectsV2Output> ParseListObjectsV2(std::string_view body) {
  Doc doc(body);
  S3Result<ListObjectsV2Output> failure = ListObjectsV2Output{};
  if (!Open(doc, "ListBucketResult", &failure, false)) return failure;
  const Node* r = doc.root();
  ListObjectsV2Output out;
  std::string err;
  out.name = ChildText(r, "Name");
  out.prefix = ChildText(r, "Prefix");
  out.delimiter = ChildText(r, "Delimiter");
  out.start_after = ChildText(r, "StartAfter");
  out.continuation_token = ChildText(r, "ContinuationToken");
  out.next_continuation_token = ChildText(r, "NextContinuationToken");
  out.encoding_type = ChildText(r, "EncodingType");
  out.is_truncated = Bool(r, "IsTruncated");
  if (!OptNumber(r, "MaxKeys", &out.max_keys, &err) ||
      !OptNumber(r, "KeyCount", &out.key_count, &err)) {
    return Fail(Invalid(err));
  }
  bool url = out.encoding_type == "url";
  if (!MaybeDecode(url, &out.prefix) || !MaybeDecode(url, &out.delimiter) ||
      !MaybeDecode(url, &out.start_after)) {
    return Fail(Invalid("bad URL encoding in listing"));
  }
  bool ok = true;
  ForEach(r, "Contents", [&](const Node* c) {
    if (!ok) return;
    ObjectSummary o;
    o.key = ChildText(c, "Key");
    o.etag = ChildText(c, "ETag");
    o.storage_class = ChildText(c, "StorageClass");
    if (!OptNumber(c, "Size", &o.size, &err) ||
        !OptTime(c, "LastModified", &o.last_modified, &err) || !MaybeDecode(url, &o.key)) {
      ok = false;
      if (err.empty()) err = "bad URL encoding in key";
      return;
    }
    if (const Node* owner = Child(c, "Owner")) {
      o.owner = Owner{ChildText(owner, "ID"), ChildText(owner, "DisplayName")};
    }
    out.contents.push_back(std::move(o));
  });
  ForEach(r, "CommonPrefixes", [&](const Node* c) {
    if (!ok) return;
    std::string p = ChildText(c, "Prefix");
    if (!MaybeDecode(url, &p)) {
      ok = false;
      err = "bad URL encoding in prefix";
      return;
    }
    out.common_prefixes.push_back(std::move(p));
  });
  if (!ok) return Fail(Invalid(err));
  return out;
}

S3Result<ListBucketsOutput> ParseListBuckets(std::string_view body) {
  Doc doc(body);
  S3Result<ListBucketsOutput> failure = ListBucketsOutput{};
  if (!Open(doc, "ListAllMyBucketsResult", &failure, false)) return failure;
  ListBucketsOutput out;
  std::string err;
  if (const Node* owner = Child(doc.root(), "Owner")) {
    out.owner = Owner{ChildText(owner, "ID"), ChildText(owner, "DisplayName")};
  }
  bool ok = true;
  if (const Node* buckets = Child(doc.root(), "Buckets")) {
    ForEach(buckets, "Bucket", [&](const Node* b) {
      BucketSummary s;
      s.name = ChildText(b, "Name");
      if (!OptTime(b, "CreationDate", &s.creation_date, &err)) ok = false;
      out.buckets.push_back(std::move(s));
    });
  }
  if (!ok) return Fail(Invalid(err));
  return out;
}

S3Result<GetBucketLocationOutput> ParseGetBucketLocation(std::string_view body) {
  Doc doc(body);
  S3Result<GetBucketLocationOutput> failure = GetBucketLocationOutput{};
  if (!Open(doc, "LocationConstraint", &failure, false)) return failure;
  return GetBucketLocationOutput{Text(doc.root())};
}

S3Result<CreateMultipartUploadOutput> ParseCreateMultipartUpload(std::string_view body) {
  Doc doc(body);
  S3Result<CreateMultipartUploadOutput> failure = CreateMultipartUploadOutput{};
  if (!Open(doc, "InitiateMultipartUploadResult", &failure, false)) return failure;
  CreateMultipartUploadOutput out;
  out.bucket = ChildText(doc.root(), "Bucket");
  out.key = ChildText(doc.root(), "Key");
  out.upload_id = ChildText(doc.root(), "UploadId");
  return out;
}

S3Result<CompleteMultipartUploadOutput> ParseCompleteMultipartUpload(std::string_view body) {
  Doc doc(body);
  S3Result<CompleteMultipartUploadOutput> failure = CompleteMultipartUploadOutput{};
  if (!Open(doc, "CompleteMultipartUploadResult", &failure, true)) return failure;
  CompleteMultipartUploadOutput out;
  out.location = ChildText(doc.root(), "Location");
  out.bucket = ChildText(doc.root(), "Bucket");
  out.key = ChildText(doc.root(), "Key");
  out.etag = ChildText(doc.root(), "ETag");
  return out;
}

S3Result<ListPartsOutput> ParseListParts(std::string_view body) {
  Doc doc(body);
  S3Result<ListPartsOutput> failure = ListPartsOutput{};
  if (!Open(doc, "ListPartsResult", &failure, false)) return failure;
  const Node* r = doc.root();
  ListPartsOutput out;
  std::string err;
  out.bucket = ChildText(r, "Bucket");
  out.key = ChildText(r, "Key");
  out.upload_id = ChildText(r, "UploadId");
  out.storage_class = ChildText(r, "StorageClass");
  out.is_truncated = Bool(r, "IsTruncated");
  if (!OptNumber(r, "NextPartNumberMarker", &out.next_part_number_marker, &err) ||
      !OptNumber(r, "MaxParts", &out.max_parts, &err)) {
    return Fail(Invalid(err));
  }
  bool ok = true;
  ForEach(r, "Part", [&](const Node* p) {
    PartSummary s;
    s.etag = ChildText(p, "ETag");
    if (!OptNumber(p, "PartNumber", &s.part_number, &err) || !OptNumber(p, "Size", &s.size, &err) ||
        !OptTime(p, "LastModified", &s.last_modified, &err)) {
      ok = false;
    }
    out.parts.push_back(std::move(s));
  });
  if (!ok) return Fail(Invalid(err));
  return out;
}

S3Result<ListMultipartUploadsOutput> ParseListMultipartUploads(std::string_view body) {
  Doc doc(body);
  S3Result<ListMultipartUploadsOutput> failure = ListMultipartUploadsOutput{};
  if (!Open(doc, "ListMultipartUploadsResult", &failure, false)) return failure;
  const Node* r = doc.root();
  ListMultipartUploadsOutput out;
  std::string err;
  bool url = ChildText(r, "EncodingType") == "url";
  out.bucket = ChildText(r, "Bucket");
  out.is_truncated = Bool(r, "IsTruncated");
  out.next_key_marker = ChildText(r, "NextKeyMarker");
  out.next_upload_id_marker = ChildText(r, "NextUploadIdMarker");
  bool ok = MaybeDecode(url, &out.next_key_marker);
  ForEach(r, "Upload", [&](const Node* u) {
    MultipartUploadSummary s;
    s.key = ChildText(u, "Key");
    s.upload_id = ChildText(u, "UploadId");
    s.storage_class = ChildText(u, "StorageClass");
    if (!OptTime(u, "Initiated", &s.initiated, &err) || !MaybeDecode(url, &s.key)) ok = false;
    out.uploads.push_back(std::move(s));
  });
  ForEach(r, "CommonPrefixes", [&](const Node* c) {
    std::string p = ChildText(c, "Prefix");
    if (!MaybeDecode(url, &p)) ok = false;
    out.common_prefixes.push_back(std::move(p));
  });
  if (!ok) return Fail(Invalid(err.empty() ? "bad URL encoding in upload listing" : err));
  return out;
}

S3Result<DeleteObjectsOutput> ParseDeleteObjects(std::string_view body) {
  Doc doc(body);
  S3Result<DeleteObjectsOutput> failure = DeleteObjectsOutput{};
  if (!Open(doc, "DeleteResult", &failure, false)) return failure;
  DeleteObjectsOutput out;
  ForEach(doc.root(), "Deleted", [&](const Node* d) {
    out.deleted.push_back(
        DeletedObject{ChildText(d, "Key"), ChildText(d, "VersionId"), Bool(d, "DeleteMarker")});
  });
  ForEach(doc.root(), "Error", [&](const Node* e) {
    out.errors.push_back(DeleteObjectError{ChildText(e, "Key"), ChildText(e, "VersionId"),
                                           ChildText(e, "Code"), ChildText(e, "Message")});
  });
  return out;
}

S3Result<CopyObjectOutput> ParseCopyObject(std::string_view body) {
  Doc doc(body);
  S3Result<CopyObjectOutput> failure = CopyObjectOutput{};
  if (!Open(doc, "CopyObjectResult", &failure, true)) return failure;
  CopyObjectOutput out;
  std::string err;
  out.etag = ChildText(doc.root(), "ETag");
  if (!OptTime(doc.root(), "LastModified", &out.last_modified, &err)) return Fail(Invalid(err));
  return out;
}

S3Result<UploadPartCopyOutput> ParseCopyPart(std::string_view body) {
  Doc doc(body);
  S3Result<UploadPartCopyOutput> failure = UploadPartCopyOutput{};
  if (!Open(doc, "CopyPartResult", &failure, true)) return failure;
  UploadPartCopyOutput out;
  std::string err;
  out.etag = ChildText(doc.root(), "ETag");
  if (!OptTime(doc.root(), "LastModified", &out.last_modified, &err)) return Fail(Invalid(err));
  if (out.etag.empty()) return Fail(Invalid("CopyPartResult without ETag"));
  return out;
}

S3Result<GetObjectTaggingOutput> ParseTagging(std::string_view body) {
  Doc doc(body);
  S3Result<GetObjectTaggingOutput> failure = GetObjectTaggingOutput{};
  if (!Open(doc, "Tagging", &failure, false)) return failure;
  GetObjectTaggingOutput out;
  if (const Node* set = Child(doc.root(), "TagSet")) {
    ForEach(set, "Tag", [&](const Node* t) {
      out.tags.push_back(Tag{ChildText(t, "Key"), ChildText(t, "Value")});
    });
  }
  return out;
}

bool ParseStsError(std::string_view body, ErrorBody* out) {
  Doc doc(body);
  if (!doc.error().empty() || LocalName(doc.root()) != "ErrorResponse") return false;
  const Node* e = Child(doc.root(), "Error");
  if (e == nullptr) return false;
  out->code = ChildText(e, "Code");
  out->message = ChildText(e, "Message");
  out->request_id = ChildText(doc.root(), "RequestId");
  return true;
}

S3Result<Credentials> ParseStsCredentials(std::string_view body, std::string_view action) {
  Doc doc(body, /*wipe=*/true);
  const std::string root = std::string(action) + "Response";
  S3Result<Credentials> failure = Credentials{};
  if (!Open(doc, root, &failure, false)) return failure;
  const Node* result = Child(doc.root(), std::string(action) + "Result");
  const Node* c = result == nullptr ? nullptr : Child(result, "Credentials");
  if (c == nullptr)
    return Fail(Invalid(root + " without " + std::string(action) + "Result/Credentials"));
  Credentials out;
  out.access_key_id = ChildText(c, "AccessKeyId");
  std::string secret = ChildText(c, "SecretAccessKey");
  out.secret_access_key = SecretString(secret);
  SecureWipe(secret.data(), secret.size());
  std::string token = ChildText(c, "SessionToken");
  out.session_token = SecretString(token);
  SecureWipe(token.data(), token.size());
  if (out.access_key_id.empty() || out.secret_access_key.empty() || out.session_token.empty()) {
    return Fail(
        Invalid(root + ": Credentials without AccessKeyId, SecretAccessKey or SessionToken"));
  }
  if (!ParseIso8601(ChildText(c, "Expiration"), &out.expiration)) {
    return Fail(Invalid(root + ": missing or bad <Expiration>"));
  }
  return out;
}

// ---- Time ----

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool Digits(std::string_view s, size_t pos, size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool MakeTime(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
              uint64_t nanos, TimePoint* out) {
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) {
    return false;
  }
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  *out = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
  return true;
}

}  // namespace

bool ParseIso8601(std::string_view t, TimePoint* out) {
  t = str::Trim(t);
  unsigned y, mo, d, h, mi, s;
  if (t.size() < 19 || !Digits(t, 0, 4, &y) || t[4] != '-' || !Digits(t, 5, 2, &mo) ||
      t[7] != '-' || !Digits(t, 8, 2, &d) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !Digits(t, 11, 2, &h) || t[13] != ':' || !Digits(t, 14, 2, &mi) || t[16] != ':' ||
      !Digits(t, 17, 2, &s)) {
    return false;
  }
  size_t i = 19;
  uint64_t nanos = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    size_t start = i;
    uint64_t scale = 100000000;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      nanos += static_cast<uint64_t>(t[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return false;
  }
  std::string_view zone = t.substr(i);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "" && zone != "+0000") {
    return false;
  }
  return MakeTime(y, mo, d, h, mi, s, nanos, out);
}

bool ParseHttpDate(std::string_view t, TimePoint* out) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  t = str::Trim(t);
  // IMF-fixdate: "Wed, 12 Oct 2009 17:50:30 GMT".
  size_t comma = t.find(", ");
  if (comma == std::string_view::npos) return false;
  std::string_view rest = t.substr(comma + 2);
  unsigned d, y, h, mi, s;
  if (rest.size() != 24) {
    // RFC 850 form "Wednesday, 12-Oct-09 17:50:30 GMT".
    if (rest.size() == 22 && rest[2] == '-' && rest[6] == '-' && Digits(rest, 0, 2, &d) &&
        Digits(rest, 7, 2, &y) && Digits(rest, 10, 2, &h) && Digits(rest, 13, 2, &mi) &&
        Digits(rest, 16, 2, &s) && rest.substr(18) == " GMT") {
      for (unsigned m = 0; m < 12; ++m) {
        if (rest.substr(3, 3) == kMonths[m]) {
          return MakeTime(y + (y < 70 ? 2000 : 1900), m + 1, d, h, mi, s, 0, out);
        }
      }
    }
    return false;
  }
  if (!Digits(rest, 0, 2, &d) || rest[2] != ' ' || rest[6] != ' ' || !Digits(rest, 7, 4, &y) ||
      rest[11] != ' ' || !Digits(rest, 12, 2, &h) || rest[14] != ':' || !Digits(rest, 15, 2, &mi) ||
      rest[17] != ':' || !Digits(rest, 18, 2, &s) || rest.size() != 24 ||
      rest.substr(20) != " GMT") {
    return false;
  }
  for (unsigned m = 0; m < 12; ++m) {
    if (rest.substr(3, 3) == kMonths[m]) return MakeTime(y, m + 1, d, h, mi, s, 0, out);
  }
  return false;
}

namespace {
void Split(TimePoint t, int64_t* y, unsigned* mo, unsigned* d, unsigned* h, unsigned* mi,
           unsigned* s, unsigned* ms, unsigned* wday) {
  int64_t ms_total =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  int64_t secs = ms_total >= 0 ? ms_total / 1000 : (ms_total - 999) / 1000;
  *ms = static_cast<unsigned>(ms_total - secs * 1000);
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  CivilFromDays(days, y, mo, d);
  *h = static_cast<unsigned>(rem / 3600);
  *mi = static_cast<unsigned>(rem % 3600 / 60);
  *s = static_cast<unsigned>(rem % 60);
  *wday = static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
}
}  // namespace

std::string FormatHttpDate(TimePoint t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t y;
  unsigned mo, d, h, mi, s, ms, wd;
  Split(t, &y, &mo, &d, &h, &mi, &s, &ms, &wd);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02u:%02u:%02u GMT", kDays[wd], d,
                kMonths[mo - 1], static_cast<long long>(y), h, mi, s);
  return buf;
}

std::string FormatIso8601(TimePoint t) {
  int64_t y;
  unsigned mo, d, h, mi, s, ms, wd;
  Split(t, &y, &mo, &d, &h, &mi, &s, &ms, &wd);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<long long>(y),
                mo, d, h, mi, s, ms);
  return buf;
}

}  // namespace s3fs::s3::xml
