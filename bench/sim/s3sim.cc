// s3sim: an in-memory S3-compatible endpoint for benchmarks and fault injection.
//
//   s3sim --port 9000 [--profile s3-like|loopback] [--latency-ms 20] [--conn-mbps 90]
//         [--global-mbps 0] [--max-rps 0] [--fault-503 P] [--fault-500 P] [--fault-reset P]
//         [--fault-stall P --stall-ms N] [--fault-truncate P] [--seed N]
//
// Serves path-style and virtual-hosted requests for the operations s3fs, s3fs-fuse and rclone
// use (buckets, ListObjects v1/v2, Head/Get with Range and If-Match/If-None-Match, Put, Copy,
// Delete, DeleteObjects, multipart incl. UploadPartCopy/ListParts/ListMultipartUploads/Abort,
// tagging). Signatures are NOT verified (any credentials work); aws-chunked bodies are decoded.
// Shaping: `latency-ms` before the first response byte of every request, `conn-mbps` pacing
// of each connection's body bytes in both directions, an optional global byte budget and a
// request-rate cap answered with 503 SlowDown. Faults are drawn per request with a fixed-seed
// PRNG. Control: GET /__sim/stats (JSON counters by operation), POST /__sim/reset,
// POST /__sim/faults?503=P&500=P&reset=P&stall=P&stall_ms=N&truncate=P&skew=S&region=R,
// POST /__sim/seed?bucket=B&prefix=P&count=N&size=S (N objects P00000.. of S bytes with
// s3fs-style mode/uid/gid/mtime metadata, created at once: benchmark fixtures).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// ---------- settings ----------
struct Settings {
  int port = 9000;
  int latency_ms = 20;
  double conn_mbps = 90;   // MB/s per connection (0 = unlimited)
  double global_mbps = 0;  // MB/s for all connections together (0 = unlimited)
  double max_rps = 0;      // requests per second before SlowDown (0 = unlimited)
  double p503 = 0, p500 = 0, preset = 0, pstall = 0, ptrunc = 0;
  int stall_ms = 5000;
  uint64_t seed = 42;
  // Newcomer errors (POST /__sim/faults?skew=S&region=R): the server's clock runs S seconds
  // away from ours, so beyond 15 min (as AWS) every signed request is RequestTimeTooSkewed; the
  // buckets live in region R, so a request signed for another region is answered as AWS does
  // (400 AuthorizationHeaderMalformed naming R).
  long skew_s = 0;
  std::string region;
};

Settings g_set;
std::mutex g_set_mu;

// ---------- helpers ----------
std::string Hex(const unsigned char* d, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += k[d[i] >> 4];
    s += k[d[i] & 15];
  }
  return s;
}

std::string Md5Hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
  return Hex(out, len);
}

std::string Md5Raw(const std::string& hex) {
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return raw;
}

std::string UrlDecode(const std::string& s, bool plus) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+' && plus) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string XmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string Iso(std::time_t t) {
  char b[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return b;
}

std::string HttpDate(std::time_t t) {
  char b[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(b, sizeof b, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return b;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---------- store ----------
struct Object {
  std::shared_ptr<const std::string> data;
  std::map<std::string, std::string> meta;  // x-amz-meta-* (lower-case, with prefix)
  std::string content_type = "binary/octet-stream";
  std::string etag;  // with quotes
  std::time_t mtime = 0;
  std::string storage_class = "STANDARD";
  std::map<std::string, std::string> tags;
};

struct Upload {
  std::string bucket, key;
  Object proto;  // metadata for the final object
  std::map<int, std::pair<std::string, std::shared_ptr<const std::string>>> parts;  // etag, data
  std::time_t initiated = 0;
};

struct Store {
  std::mutex mu;
  std::map<std::string, std::map<std::string, Object>> buckets;
  std::map<std::string, Upload> uploads;
  uint64_t next_upload = 1;
};
Store g_store;

// ---------- counters ----------
struct OpCount {
  uint64_t requests = 0, bytes_in = 0, bytes_out = 0;
};
std::mutex g_stats_mu;
std::map<std::string, OpCount> g_stats;
std::atomic<uint64_t> g_faults{0};

void Count(const std::string& op, uint64_t in, uint64_t out) {
  std::lock_guard l(g_stats_mu);
  auto& c = g_stats[op];
  c.requests++;
  c.bytes_in += in;
  c.bytes_out += out;
}

// ---------- pacing ----------
// Token bucket paced in wall time: Consume(n) sleeps until n bytes are allowed.
class Pacer {
 public:
  explicit Pacer(double mbps) : rate_(mbps * 1e6), next_(Clock::now()) {}
  void Consume(size_t n) {
    if (rate_ <= 0) return;
    std::unique_lock l(mu_);
    auto now = Clock::now();
    if (next_ < now - std::chrono::milliseconds(50)) next_ = now - std::chrono::milliseconds(50);
    next_ += std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(n) * 1e9 / rate_));
    auto wait = next_ - now;
    l.unlock();
    if (wait > std::chrono::nanoseconds(0)) std::this_thread::sleep_for(wait);
  }

 private:
  double rate_;
  Clock::time_point next_;
  std::mutex mu_;
};
std::unique_ptr<Pacer> g_global;

// Request-rate window.
std::mutex g_rate_mu;
std::vector<Clock::time_point> g_recent;
bool OverRate() {
  double rps;
  {
    std::lock_guard l(g_set_mu);
    rps = g_set.max_rps;
  }
  if (rps <= 0) return false;
  std::lock_guard l(g_rate_mu);
  auto now = Clock::now();
  auto cutoff = now - std::chrono::seconds(1);
  g_recent.erase(
      std::remove_if(g_recent.begin(), g_recent.end(), [&](auto t) { return t < cutoff; }),
      g_recent.end());
  if (g_recent.size() >= static_cast<size_t>(rps)) return true;
  g_recent.push_back(now);
  return false;
}

// ---------- connection I/O ----------
struct Conn {
  int fd;
  Pacer pacer;
  std::string buf;
  explicit Conn(int f, double mbps) : fd(f), pacer(mbps) {}

  bool Fill() {
    char tmp[256 * 1024];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
  bool ReadLine(std::string* line) {
    while (true) {
      size_t p = buf.find("\r\n");
      if (p != std::string::npos) {
        *line = buf.substr(0, p);
        buf.erase(0, p + 2);
        return true;
      }
      if (buf.size() > (1 << 20) || !Fill()) return false;
    }
  }
  bool ReadBody(size_t n, std::string* out) {
    while (buf.size() < n) {
      size_t before = buf.size();
      if (!Fill()) return false;
      size_t got = buf.size() - before;
      pacer.Consume(got);
      if (g_global) g_global->Consume(got);
    }
    out->assign(buf, 0, n);
    buf.erase(0, n);
    return true;
  }
  bool Send(const char* d, size_t n, bool paced) {
    size_t done = 0;
    while (done < n) {
      size_t chunk = std::min<size_t>(n - done, 256 * 1024);
      if (paced) {
        pacer.Consume(chunk);
        if (g_global) g_global->Consume(chunk);
      }
      ssize_t w = ::send(fd, d + done, chunk, MSG_NOSIGNAL);
      if (w <= 0) return false;
      done += static_cast<size_t>(w);
    }
    return true;
  }
};

struct Request {
  std::string method, path, query_raw;
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // lower-case
  std::string body;
  std::string bucket, key;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<const std::string> body;  // may be shared object data
  size_t body_off = 0, body_len = 0;
  std::string op = "Unknown";
  bool head = false;
  void Text(int s, std::string b, const char* type = "application/xml") {
    status = s;
    auto p = std::make_shared<std::string>(std::move(b));
    body_len = p->size();
    body = p;
    headers.emplace_back("Content-Type", type);
  }
};

Response Error(int status, const std::string& code, const std::string& msg, const std::string& op) {
  Response r;
  r.op = op;
  r.Text(status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                     "</Code><Message>" + XmlEscape(msg) +
                     "</Message><RequestId>sim</RequestId>"
                     "</Error>");
  return r;
}

// The region of a SigV4 Authorization header's credential scope (ACCESS/DATE/REGION/s3/...).
std::string SignedRegion(const std::string& auth) {
  size_t c = auth.find("Credential=");
  if (c == std::string::npos) return "";
  size_t end = auth.find_first_of(", ", c);
  std::string scope = auth.substr(c + 11, end == std::string::npos ? end : end - c - 11);
  size_t a = scope.find('/');
  size_t b = a == std::string::npos ? a : scope.find('/', a + 1);
  size_t e = b == std::string::npos ? b : scope.find('/', b + 1);
  return e == std::string::npos ? "" : scope.substr(b + 1, e - b - 1);
}

std::string DecodeChunked(const std::string& body) {
  // aws-chunked: "<hex-size>;chunk-signature=...\r\n<data>\r\n" ... "0;...\r\n\r\n"
  std::string out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) break;
    size_t n = std::stoul(body.substr(pos, body.find(';', pos) - pos), nullptr, 16);
    pos = eol + 2;
    if (n == 0) break;
    out.append(body, pos, n);
    pos += n + 2;
  }
  return out;
}

// ---------- handlers ----------
std::string ListV2orV1(const Request& q, std::map<std::string, Object>& objs, bool v2) {
  std::string prefix = q.query.count("prefix") ? q.query.at("prefix") : "";
  std::string delim = q.query.count("delimiter") ? q.query.at("delimiter") : "";
  size_t max = q.query.count("max-keys") ? std::stoul(q.query.at("max-keys")) : 1000;
  max = std::min<size_t>(max, 1000);
  bool url = q.query.count("encoding-type") && q.query.at("encoding-type") == "url";
  std::string start = v2 ? (q.query.count("continuation-token") ? q.query.at("continuation-token")
                            : q.query.count("start-after")      ? q.query.at("start-after")
                                                                : "")
                         : (q.query.count("marker") ? q.query.at("marker") : "");
  auto enc = [&](const std::string& s) { return url ? UrlEncode(s) : XmlEscape(s); };
  std::string contents, prefixes, last;
  size_t n = 0;
  bool truncated = false;
  std::string last_prefix;
  for (auto it = objs.upper_bound(start); it != objs.end(); ++it) {
    const std::string& k = it->first;
    if (k.compare(0, prefix.size(), prefix) != 0) {
      if (k > prefix) break;
      continue;
    }
    if (!delim.empty()) {
      size_t d = k.find(delim, prefix.size());
      if (d != std::string::npos) {
        std::string cp = k.substr(0, d + delim.size());
        if (cp == last_prefix) continue;
        if (n == max) {
          truncated = true;
          break;
        }
        last_prefix = cp;
        prefixes += "<CommonPrefixes><Prefix>" + enc(cp) + "</Prefix></CommonPrefixes>";
        ++n;
        // Skip everything under this prefix.
        last = cp + "\xff";
        it = objs.lower_bound(last);
        --it;
        continue;
      }
    }
    if (n == max) {
      truncated = true;
      break;
    }
    const Object& o = it->second;
    contents += "<Contents><Key>" + enc(k) + "</Key><LastModified>" + Iso(o.mtime) +
                "</LastModified><ETag>" + XmlEscape(o.etag) + "</ETag><Size>" +
                std::to_string(o.data->size()) + "</Size><StorageClass>" + o.storage_class +
                "</StorageClass></Contents>";
    last = k;
    ++n;
  }
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" +
      q.bucket + "</Name><Prefix>" + enc(prefix) + "</Prefix><MaxKeys>" + std::to_string(max) +
      "</MaxKeys><IsTruncated>" + (truncated ? "true" : "false") + "</IsTruncated>";
  if (!delim.empty()) x += "<Delimiter>" + enc(delim) + "</Delimiter>";
  if (url) x += "<EncodingType>url</EncodingType>";
  if (v2) {
    x += "<KeyCount>" + std::to_string(n) + "</KeyCount>";
    if (truncated) x += "<NextContinuationToken>" + XmlEscape(last) + "</NextContinuationToken>";
  } else if (truncated) {
    x += "<NextMarker>" + enc(last) + "</NextMarker>";
  }
  return x + contents + prefixes + "</ListBucketResult>";
}

void ApplyWriteHeaders(const Request& q, Object* o) {
  for (const auto& [k, v] : q.headers) {
    if (k.rfind("x-amz-meta-", 0) == 0) o->meta[k] = v;
  }
  if (q.headers.count("content-type")) o->content_type = q.headers.at("content-type");
  if (q.headers.count("x-amz-storage-class"))
    o->storage_class = q.headers.at("x-amz-storage-class");
  if (q.headers.count("x-amz-tagging")) {
    std::string t = q.headers.at("x-amz-tagging");
    size_t pos = 0;
    while (pos <= t.size()) {
      size_t amp = t.find('&', pos);
      std::string kv = t.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      size_t eq = kv.find('=');
      if (!kv.empty())
        o->tags[UrlDecode(kv.substr(0, eq), true)] =
            eq == std::string::npos ? "" : UrlDecode(kv.substr(eq + 1), true);
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
}

bool ParseRange(const std::string& h, size_t size, size_t* off, size_t* len) {
  if (h.rfind("bytes=", 0) != 0) return false;
  std::string r = h.substr(6);
  size_t dash = r.find('-');
  if (dash == std::string::npos) return false;
  std::string a = r.substr(0, dash), b = r.substr(dash + 1);
  size_t first, last;
  if (a.empty()) {
    size_t n = std::stoul(b);
    first = n >= size ? 0 : size - n;
    last = size - 1;
  } else {
    first = std::stoul(a);
    last = b.empty() ? size - 1 : std::min<size_t>(std::stoul(b), size - 1);
  }
  if (first >= size || last < first) return false;
  *off = first;
  *len = last - first + 1;
  return true;
}

Response Handle(Request& q) {
  std::lock_guard lock(g_store.mu);
  auto now = std::time(nullptr);
  const std::string& m = q.method;
  if (q.bucket.empty()) {
    std::string x =
        "<?xml version=\"1.0\" "
        "encoding=\"UTF-8\"?><ListAllMyBucketsResult><Owner><ID>sim</ID><DisplayName>sim</"
        "DisplayName></Owner><Buckets>";
    for (const auto& [b, _] : g_store.buckets) {
      x += "<Bucket><Name>" + b + "</Name><CreationDate>" + Iso(now) + "</CreationDate></Bucket>";
    }
    Response r;
    r.op = "ListBuckets";
    r.Text(200, x + "</Buckets></ListAllMyBucketsResult>");
    return r;
  }
  auto bit = g_store.buckets.find(q.bucket);
  if (q.key.empty()) {
    if (m == "PUT" && !q.query.count("tagging")) {
      g_store.buckets[q.bucket];
      Response r;
      r.op = "CreateBucket";
      r.Text(200, "");
      return r;
    }
    if (bit == g_store.buckets.end()) return Error(404, "NoSuchBucket", q.bucket, "BucketLevel");
    auto& objs = bit->second;
    Response r;
    if (m == "DELETE") {
      if (!objs.empty()) return Error(409, "BucketNotEmpty", q.bucket, "DeleteBucket");
      g_store.buckets.erase(bit);
      r.op = "DeleteBucket";
      r.Text(204, "");
      return r;
    }
    if (m == "HEAD") {
      r.op = "HeadBucket";
      r.headers.emplace_back("x-amz-bucket-region", "us-east-1");
      r.Text(200, "");
      return r;
    }
    if (m == "GET" && q.query.count("location")) {
      r.op = "GetBucketLocation";
      r.Text(200,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><LocationConstraint "
             "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>");
      return r;
    }
    if (m == "GET" && q.query.count("uploads")) {
      std::string x =
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListMultipartUploadsResult><Bucket>" +
          q.bucket + "</Bucket><IsTruncated>false</IsTruncated>";
      std::string pfx = q.query.count("prefix") ? q.query.at("prefix") : "";
      for (const auto& [id, u] : g_store.uploads) {
        if (u.bucket != q.bucket || u.key.compare(0, pfx.size(), pfx) != 0) continue;
        x += "<Upload><Key>" + XmlEscape(u.key) + "</Key><UploadId>" + id +
             "</UploadId><Initiated>" + Iso(u.initiated) +
             "</Initiated><StorageClass>STANDARD</StorageClass></Upload>";
      }
      r.op = "ListMultipartUploads";
      r.Text(200, x + "</ListMultipartUploadsResult>");
      return r;
    }
    if (m == "GET") {
      bool v2 = q.query.count("list-type") && q.query.at("list-type") == "2";
      r.op = v2 ? "ListObjectsV2" : "ListObjects";
      r.Text(200, ListV2orV1(q, objs, v2));
      return r;
    }
    if (m == "POST" && q.query.count("delete")) {
      std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult>";
      bool quiet = q.body.find("<Quiet>true</Quiet>") != std::string::npos;
      size_t pos = 0;
      while ((pos = q.body.find("<Key>", pos)) != std::string::npos) {
        size_t end = q.body.find("</Key>", pos);
        std::string k = q.body.substr(pos + 5, end - pos - 5);
        // Minimal entity decoding for keys.
        std::string d;
        for (size_t i = 0; i < k.size(); ++i) {
          if (k.compare(i, 5, "&amp;") == 0) {
            d += '&';
            i += 4;
          } else if (k.compare(i, 4, "&lt;") == 0) {
            d += '<';
            i += 3;
          } else if (k.compare(i, 4, "&gt;") == 0) {
            d += '>';
            i += 3;
          } else if (k.compare(i, 6, "&quot;") == 0) {
            d += '"';
            i += 5;
          } else if (k.compare(i, 6, "&apos;") == 0) {
            d += '\'';
            i += 5;
          } else
            d += k[i];
        }
        objs.erase(d);
        if (!quiet) x += "<Deleted><Key>" + XmlEscape(d) + "</Key></Deleted>";
        pos = end;
      }
      r.op = "DeleteObjects";
      r.Text(200, x + "</DeleteResult>");
      return r;
    }
    return Error(400, "InvalidRequest", "unsupported bucket operation", "Unsupported");
  }
  if (bit == g_store.buckets.end()) return Error(404, "NoSuchBucket", q.bucket, "ObjectLevel");
  auto& objs = bit->second;
  Response r;
  // Multipart.
  if (m == "POST" && q.query.count("uploads")) {
    std::string id = "sim-upload-" + std::to_string(g_store.next_upload++);
    Upload u;
    u.bucket = q.bucket;
    u.key = q.key;
    u.initiated = now;
    ApplyWriteHeaders(q, &u.proto);
    g_store.uploads[id] = std::move(u);
    r.op = "CreateMultipartUpload";
    r.Text(200,
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InitiateMultipartUploadResult><Bucket>" +
               q.bucket + "</Bucket><Key>" + XmlEscape(q.key) + "</Key><UploadId>" + id +
               "</UploadId></InitiateMultipartUploadResult>");
    return r;
  }
  if (q.query.count("uploadId")) {
    auto uit = g_store.uploads.find(q.query.at("uploadId"));
    if (uit == g_store.uploads.end())
      return Error(404, "NoSuchUpload", "no such upload", "Multipart");
    Upload& u = uit->second;
    if (m == "PUT") {
      int n = std::stoi(q.query.at("partNumber"));
      std::shared_ptr<const std::string> data;
      if (q.headers.count("x-amz-copy-source")) {
        std::string src = UrlDecode(q.headers.at("x-amz-copy-source"), false);
        if (!src.empty() && src[0] == '/') src.erase(0, 1);
        size_t slash = src.find('/');
        auto sb = g_store.buckets.find(src.substr(0, slash));
        if (sb == g_store.buckets.end())
          return Error(404, "NoSuchBucket", "source", "UploadPartCopy");
        auto so = sb->second.find(src.substr(slash + 1));
        if (so == sb->second.end()) return Error(404, "NoSuchKey", "source", "UploadPartCopy");
        size_t off = 0, len = so->second.data->size();
        if (q.headers.count("x-amz-copy-source-range") &&
            !ParseRange(q.headers.at("x-amz-copy-source-range"), so->second.data->size(), &off,
                        &len)) {
          return Error(416, "InvalidRange", "range", "UploadPartCopy");
        }
        data = std::make_shared<const std::string>(so->second.data->substr(off, len));
        std::string etag = "\"" + Md5Hex(*data) + "\"";
        u.parts[n] = {etag, data};
        r.op = "UploadPartCopy";
        r.Text(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CopyPartResult><ETag>" +
                        XmlEscape(etag) + "</ETag><LastModified>" + Iso(now) +
                        "</LastModified></CopyPartResult>");
        return r;
      }
      data = std::make_shared<const std::string>(std::move(q.body));
      std::string etag = "\"" + Md5Hex(*data) + "\"";
      u.parts[n] = {etag, data};
      r.op = "UploadPart";
      r.headers.emplace_back("ETag", etag);
      r.Text(200, "");
      return r;
    }
    if (m == "POST") {
      auto content = std::make_shared<std::string>();
      std::string md5s;
      size_t count = 0;
      size_t pos = 0;
      while ((pos = q.body.find("<PartNumber>", pos)) != std::string::npos) {
        int n = std::stoi(q.body.substr(pos + 12));
        auto p = u.parts.find(n);
        if (p == u.parts.end())
          return Error(400, "InvalidPart", "missing part", "CompleteMultipartUpload");
        content->append(*p->second.second);
        md5s += Md5Raw(p->second.first.substr(1, 32));
        ++count;
        pos += 12;
      }
      Object o = u.proto;
      o.data = content;
      o.etag = "\"" + Md5Hex(md5s) + "-" + std::to_string(count) + "\"";
      o.mtime = now;
      objs[q.key] = o;
      g_store.uploads.erase(uit);
      r.op = "CompleteMultipartUpload";
      r.Text(200,
             "<?xml version=\"1.0\" "
             "encoding=\"UTF-8\"?><CompleteMultipartUploadResult><Location>sim</Location><Bucket>" +
                 q.bucket + "</Bucket><Key>" + XmlEscape(q.key) + "</Key><ETag>" +
                 XmlEscape(o.etag) + "</ETag></CompleteMultipartUploadResult>");
      return r;
    }
    if (m == "DELETE") {
      g_store.uploads.erase(uit);
      r.op = "AbortMultipartUpload";
      r.Text(204, "");
      return r;
    }
    if (m == "GET") {
      std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListPartsResult><Bucket>" +
                      q.bucket + "</Bucket><Key>" + XmlEscape(q.key) + "</Key><UploadId>" +
                      uit->first + "</UploadId><IsTruncated>false</IsTruncated>";
      for (const auto& [n, p] : u.parts) {
        x += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + XmlEscape(p.first) +
             "</ETag><Size>" + std::to_string(p.second->size()) + "</Size><LastModified>" +
             Iso(now) + "</LastModified></Part>";
      }
      r.op = "ListParts";
      r.Text(200, x + "</ListPartsResult>");
      return r;
    }
  }
  auto oit = objs.find(q.key);
  if (q.query.count("tagging")) {
    if (oit == objs.end()) return Error(404, "NoSuchKey", q.key, "Tagging");
    if (m == "GET") {
      std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Tagging><TagSet>";
      for (const auto& [k, v] : oit->second.tags)
        x += "<Tag><Key>" + XmlEscape(k) + "</Key><Value>" + XmlEscape(v) + "</Value></Tag>";
      r.op = "GetObjectTagging";
      r.Text(200, x + "</TagSet></Tagging>");
      return r;
    }
    if (m == "PUT") {
      oit->second.tags.clear();
      size_t pos = 0;
      while ((pos = q.body.find("<Key>", pos)) != std::string::npos) {
        size_t ke = q.body.find("</Key>", pos);
        size_t vs = q.body.find("<Value>", ke);
        size_t ve = q.body.find("</Value>", vs);
        oit->second.tags[q.body.substr(pos + 5, ke - pos - 5)] = q.body.substr(vs + 7, ve - vs - 7);
        pos = ve;
      }
      r.op = "PutObjectTagging";
      r.Text(200, "");
      return r;
    }
    if (m == "DELETE") {
      oit->second.tags.clear();
      r.op = "DeleteObjectTagging";
      r.Text(204, "");
      return r;
    }
  }
  if (m == "PUT" && q.headers.count("x-amz-copy-source")) {
    std::string src = UrlDecode(q.headers.at("x-amz-copy-source"), false);
    if (!src.empty() && src[0] == '/') src.erase(0, 1);
    size_t slash = src.find('/');
    auto sb = g_store.buckets.find(src.substr(0, slash));
    if (sb == g_store.buckets.end()) return Error(404, "NoSuchBucket", "source", "CopyObject");
    auto so = sb->second.find(src.substr(slash + 1));
    if (so == sb->second.end()) return Error(404, "NoSuchKey", "source", "CopyObject");
    Object o = so->second;
    bool replace = q.headers.count("x-amz-metadata-directive") &&
                   q.headers.at("x-amz-metadata-directive") == "REPLACE";
    if (replace) {
      o.meta.clear();
      o.content_type = "binary/octet-stream";
      ApplyWriteHeaders(q, &o);
    } else if (q.headers.count("x-amz-storage-class")) {
      o.storage_class = q.headers.at("x-amz-storage-class");
    }
    o.mtime = now;
    objs[q.key] = o;
    r.op = "CopyObject";
    r.Text(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CopyObjectResult><LastModified>" +
                    Iso(now) + "</LastModified><ETag>" + XmlEscape(o.etag) +
                    "</ETag></CopyObjectResult>");
    return r;
  }
  if (m == "PUT") {
    Object o;
    ApplyWriteHeaders(q, &o);
    o.data = std::make_shared<const std::string>(std::move(q.body));
    o.etag = "\"" + Md5Hex(*o.data) + "\"";
    o.mtime = now;
    r.headers.emplace_back("ETag", o.etag);
    objs[q.key] = std::move(o);
    r.op = "PutObject";
    r.Text(200, "");
    return r;
  }
  if (m == "DELETE") {
    objs.erase(q.key);
    r.op = "DeleteObject";
    r.Text(204, "");
    return r;
  }
  if (m == "GET" || m == "HEAD") {
    r.op = m == "GET" ? "GetObject" : "HeadObject";
    if (oit == objs.end()) {
      Response e = Error(404, "NoSuchKey", q.key, r.op);
      return e;
    }
    const Object& o = oit->second;
    if (q.headers.count("if-match") && q.headers.at("if-match") != o.etag &&
        q.headers.at("if-match") != "*") {
      return Error(412, "PreconditionFailed", "etag", r.op);
    }
    if (q.headers.count("if-none-match") && q.headers.at("if-none-match") == o.etag) {
      Response nm;
      nm.op = r.op;
      nm.status = 304;
      nm.headers.emplace_back("ETag", o.etag);
      return nm;
    }
    size_t off = 0, len = o.data->size();
    if (q.headers.count("range")) {
      if (!ParseRange(q.headers.at("range"), o.data->size(), &off, &len)) {
        return Error(416, "InvalidRange", "range", r.op);
      }
      r.status = 206;
      r.headers.emplace_back("Content-Range", "bytes " + std::to_string(off) + "-" +
                                                  std::to_string(off + len - 1) + "/" +
                                                  std::to_string(o.data->size()));
    }
    r.headers.emplace_back("ETag", o.etag);
    r.headers.emplace_back("Last-Modified", HttpDate(o.mtime));
    r.headers.emplace_back("Content-Type", o.content_type);
    r.headers.emplace_back("Accept-Ranges", "bytes");
    if (o.storage_class != "STANDARD")
      r.headers.emplace_back("x-amz-storage-class", o.storage_class);
    if (!o.tags.empty())
      r.headers.emplace_back("x-amz-tagging-count", std::to_string(o.tags.size()));
    for (const auto& [k, v] : o.meta) r.headers.emplace_back(k, v);
    r.body = o.data;
    r.body_off = off;
    r.body_len = len;
    r.head = m == "HEAD";
    return r;
  }
  return Error(400, "InvalidRequest", "unsupported", "Unsupported");
}

std::string StatsJson() {
  std::lock_guard l(g_stats_mu);
  std::string j = "{";
  bool first = true;
  for (const auto& [op, c] : g_stats) {
    if (!first) j += ",";
    first = false;
    j += "\"" + op + "\":{\"requests\":" + std::to_string(c.requests) +
         ",\"bytes_in\":" + std::to_string(c.bytes_in) +
         ",\"bytes_out\":" + std::to_string(c.bytes_out) + "}";
  }
  return j + (first ? "" : ",") + "\"_faults\":" + std::to_string(g_faults.load()) + "}";
}

void Serve(int fd) {
  double conn_mbps;
  int latency_ms;
  {
    std::lock_guard l(g_set_mu);
    conn_mbps = g_set.conn_mbps;
  }
  Conn c(fd, conn_mbps);
  thread_local std::mt19937_64 rng(std::hash<std::thread::id>()(std::this_thread::get_id()) ^
                                   g_set.seed);
  std::uniform_real_distribution<double> uni(0, 1);
  while (true) {
    Request q;
    std::string line;
    if (!c.ReadLine(&line) || line.empty()) break;
    size_t s1 = line.find(' '), s2 = line.rfind(' ');
    q.method = line.substr(0, s1);
    std::string target = line.substr(s1 + 1, s2 - s1 - 1);
    while (c.ReadLine(&line)) {
      if (line.empty()) break;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t v = line.find_first_not_of(' ', colon + 1);
      q.headers[Lower(line.substr(0, colon))] = v == std::string::npos ? "" : line.substr(v);
    }
    size_t len = q.headers.count("content-length") ? std::stoul(q.headers["content-length"]) : 0;
    if (q.headers.count("expect") && Lower(q.headers["expect"]) == "100-continue") {
      // Clients (libcurl, so s3fs-fuse) wait up to a second for this before sending a body.
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      if (!c.Send(kContinue, sizeof kContinue - 1, false)) break;
    }
    if (len > 0 && !c.ReadBody(len, &q.body)) break;
    if (q.headers.count("x-amz-content-sha256") &&
        q.headers["x-amz-content-sha256"].rfind("STREAMING-", 0) == 0) {
      q.body = DecodeChunked(q.body);
    }
    size_t qm = target.find('?');
    q.path = UrlDecode(target.substr(0, qm), false);
    if (qm != std::string::npos) {
      q.query_raw = target.substr(qm + 1);
      size_t pos = 0;
      while (pos <= q.query_raw.size()) {
        size_t amp = q.query_raw.find('&', pos);
        std::string kv =
            q.query_raw.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        size_t eq = kv.find('=');
        if (!kv.empty())
          q.query[UrlDecode(kv.substr(0, eq), true)] =
              eq == std::string::npos ? "" : UrlDecode(kv.substr(eq + 1), true);
        if (amp == std::string::npos) break;
        pos = amp + 1;
      }
    }
    // Control endpoints.
    if (q.path.rfind("/__sim/", 0) == 0) {
      std::string body;
      if (q.path == "/__sim/stats") body = StatsJson();
      if (q.path == "/__sim/reset") {
        std::lock_guard l(g_stats_mu);
        g_stats.clear();
        g_faults = 0;
        body = "{}";
      }
      if (q.path == "/__sim/seed") {
        const std::string bucket = q.query["bucket"];
        const std::string prefix = q.query["prefix"];
        const long count = std::stol(q.query.count("count") ? q.query["count"] : "0");
        const size_t size = std::stoul(q.query.count("size") ? q.query["size"] : "0");
        auto data = std::make_shared<const std::string>(size, 'x');
        const std::string etag = "\"" + Md5Hex(*data) + "\"";
        const std::time_t now = std::time(nullptr);
        std::lock_guard l(g_store.mu);
        auto b = g_store.buckets.find(bucket);
        if (b == g_store.buckets.end()) {
          body = "{\"error\":\"no such bucket\"}";
        } else {
          for (long i = 0; i < count; ++i) {
            char name[24];
            std::snprintf(name, sizeof name, "%05ld", i);
            Object o;
            o.data = data;
            o.etag = etag;
            o.mtime = now;
            o.meta = {{"x-amz-meta-mode", "33188"},
                      {"x-amz-meta-uid", "0"},
                      {"x-amz-meta-gid", "0"},
                      {"x-amz-meta-mtime", std::to_string(now)}};
            b->second[prefix + name] = std::move(o);
          }
          body = "{\"seeded\":" + std::to_string(count) + "}";
        }
      }
      if (q.path == "/__sim/faults") {
        std::lock_guard l(g_set_mu);
        auto get = [&](const char* k, double d) {
          return q.query.count(k) ? std::stod(q.query[k]) : d;
        };
        g_set.p503 = get("503", 0);
        g_set.p500 = get("500", 0);
        g_set.preset = get("reset", 0);
        g_set.pstall = get("stall", 0);
        g_set.stall_ms = static_cast<int>(get("stall_ms", 5000));
        g_set.ptrunc = get("truncate", 0);
        g_set.skew_s = static_cast<long>(get("skew", 0));
        g_set.region = q.query.count("region") ? q.query["region"] : "";
        body = "{}";
      }
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n";
      c.Send(head.data(), head.size(), false);
      c.Send(body.data(), body.size(), false);
      continue;
    }
    // Addressing: virtual-hosted when Host is BUCKET.something, else path-style.
    std::string host = q.headers.count("host") ? q.headers["host"] : "";
    host = host.substr(0, host.find(':'));
    std::string p = q.path.size() > 1 ? q.path.substr(1) : "";
    bool vhost = host.find('.') != std::string::npos &&
                 host.find_first_not_of("0123456789.") != std::string::npos && host != "localhost";
    if (vhost) {
      q.bucket = host.substr(0, host.find('.'));
      q.key = p;
    } else {
      size_t slash = p.find('/');
      q.bucket = p.substr(0, slash);
      q.key = slash == std::string::npos ? "" : p.substr(slash + 1);
    }
    Settings s;
    {
      std::lock_guard l(g_set_mu);
      s = g_set;
    }
    latency_ms = s.latency_ms;
    Response r;
    const size_t bytes_in = q.body.size();
    bool reset = false, truncate = false;
    const std::string auth = q.headers.count("authorization") ? q.headers["authorization"] : "";
    if (std::labs(s.skew_s) > 900 && !auth.empty()) {  // AWS allows 15 minutes
      r = Error(403, "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                "FaultSkew");
    } else if (!s.region.empty() && !auth.empty() && SignedRegion(auth) != s.region) {
      r.op = "FaultRegion";
      r.Text(400,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>"
             "<Code>AuthorizationHeaderMalformed</Code><Message>The authorization header "
             "is malformed; the region is wrong</Message><Region>" +
                 XmlEscape(s.region) + "</Region><RequestId>sim</RequestId></Error>");
    } else if (OverRate()) {
      r = Error(503, "SlowDown", "Please reduce your request rate.", "SlowDown");
      r.headers.emplace_back("Retry-After", "1");
    } else if (s.p503 > 0 && uni(rng) < s.p503) {
      g_faults++;
      r = Error(503, "SlowDown", "Please reduce your request rate.", "Fault503");
      r.headers.emplace_back("Retry-After", "1");
    } else if (s.p500 > 0 && uni(rng) < s.p500) {
      g_faults++;
      r = Error(500, "InternalError", "We encountered an internal error.", "Fault500");
    } else {
      r = Handle(q);
      if (s.preset > 0 && uni(rng) < s.preset) {
        reset = true;
        g_faults++;
      } else if (s.ptrunc > 0 && uni(rng) < s.ptrunc) {
        truncate = true;
        g_faults++;
      }
      if (s.pstall > 0 && uni(rng) < s.pstall) {
        g_faults++;
        std::this_thread::sleep_for(std::chrono::milliseconds(s.stall_ms));
      }
    }
    if (latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms));
    std::string reason = r.status == 200   ? "OK"
                         : r.status == 204 ? "No Content"
                         : r.status == 206 ? "Partial Content"
                                           : "Status";
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + reason + "\r\n";
    head += "x-amz-request-id: sim\r\nDate: " + HttpDate(std::time(nullptr)) + "\r\n";
    for (const auto& [k, v] : r.headers) head += k + ": " + v + "\r\n";
    size_t send_len = r.body ? r.body_len : 0;
    head += "Content-Length: " + std::to_string(send_len) + "\r\n\r\n";
    Count(r.op, bytes_in, r.head ? 0 : send_len);
    if (!c.Send(head.data(), head.size(), false)) break;
    if (r.head || q.method == "HEAD" || send_len == 0) continue;
    size_t n = send_len;
    if (reset || truncate) n = send_len / 2;
    if (!c.Send(r.body->data() + r.body_off, n, true)) break;
    if (reset) {
      struct linger lg {
        1, 0
      };
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      break;
    }
    if (truncate) break;
  }
  ::close(fd);
}

void Usage() {
  std::fprintf(
      stderr,
      "usage: s3sim [--port N] [--profile s3-like|loopback] [--latency-ms N] [--conn-mbps X]\n"
      "             [--global-mbps X] [--max-rps X] [--fault-503 P] [--fault-500 P]\n"
      "             [--fault-reset P] [--fault-stall P] [--stall-ms N] [--fault-truncate P] "
      "[--seed N]\n");
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port")
      g_set.port = std::stoi(next());
    else if (a == "--profile") {
      std::string p = next();
      if (p == "loopback") {
        g_set.latency_ms = 0;
        g_set.conn_mbps = 0;
      } else if (p == "s3-like") {
        g_set.latency_ms = 20;
        g_set.conn_mbps = 90;
      } else {
        Usage();
        return 2;
      }
    } else if (a == "--latency-ms")
      g_set.latency_ms = std::stoi(next());
    else if (a == "--conn-mbps")
      g_set.conn_mbps = std::stod(next());
    else if (a == "--global-mbps")
      g_set.global_mbps = std::stod(next());
    else if (a == "--max-rps")
      g_set.max_rps = std::stod(next());
    else if (a == "--fault-503")
      g_set.p503 = std::stod(next());
    else if (a == "--fault-500")
      g_set.p500 = std::stod(next());
    else if (a == "--fault-reset")
      g_set.preset = std::stod(next());
    else if (a == "--fault-stall")
      g_set.pstall = std::stod(next());
    else if (a == "--stall-ms")
      g_set.stall_ms = std::stoi(next());
    else if (a == "--fault-truncate")
      g_set.ptrunc = std::stod(next());
    else if (a == "--seed")
      g_set.seed = std::stoull(next());
    else {
      Usage();
      return 2;
    }
  }
  if (g_set.global_mbps > 0) g_global = std::make_unique<Pacer>(g_set.global_mbps);
  std::signal(SIGPIPE, SIG_IGN);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(g_set.port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1024) != 0) {
    std::perror("s3sim: bind/listen");
    return 1;
  }
  std::fprintf(stderr, "s3sim: listening on 127.0.0.1:%d latency=%dms conn=%.0fMB/s\n", g_set.port,
               g_set.latency_ms, g_set.conn_mbps);
  while (true) {
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0) continue;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(Serve, c).detach();
  }
}
