// s3ctl: a small command-line client over the s3fs S3 library.
//
//   s3ctl [global options] COMMAND [args]
//
// Exit codes: 0 ok, 1 S3/network error, 2 usage error, 3 local file error.
// Errors are one line on stderr ("s3ctl: ..."), never a secret.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli_config.h"
#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"
#include "s3fs/meta/metadata_store.h"
#include "s3fs/s3/client_metrics.h"
#include "s3fs/s3/transfer.h"
#include "s3fs/s3/validate.h"
#include "s3fs/s3/xml.h"
#include "s3fs_version.h"

namespace s3fs::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitS3 = 1;
constexpr int kExitUsage = 2;
constexpr int kExitLocal = 3;

const char kUsage[] = R"(usage: s3ctl [options] COMMAND [args]

Commands:
  ls [s3://BUCKET[/PREFIX]] [-r]     list buckets, or objects and prefixes (-r: recursive)
  mb s3://BUCKET [--location L]     create a bucket
  rb s3://BUCKET                    delete an (empty) bucket
  put FILE s3://BUCKET/KEY          upload (multipart above --multipart-threshold)
  get s3://BUCKET/KEY FILE|-        download (parallel ranged GETs; '-' = stdout)
  head s3://BUCKET/KEY              show object metadata
  cp s3://B1/K1 s3://B2/K2          server-side copy
  rm s3://BUCKET/KEY...             delete objects (several: one DeleteObjects batch)
  presign s3://BUCKET/KEY [--expires SECONDS] [--method GET|PUT|DELETE]
  tag get s3://BUCKET/KEY | tag set s3://BUCKET/KEY K=V... | tag rm s3://BUCKET/KEY
  mpu ls s3://BUCKET[/PREFIX]       list in-progress multipart uploads
  mpu abort s3://BUCKET/KEY UPLOAD_ID
  cache stats|ls|clear s3://BUCKET[/PREFIX] [--cache-dir DIR]
                                    a mount's metadata cache (no request is sent; DIR as
                                    the mount's meta_cache=; default as the mount's)

Options (before the command):
  --endpoint URL        S3 endpoint (default AWS for the region; env AWS_ENDPOINT_URL)
  --region REGION       signing region (default us-east-1; env AWS_REGION)
  --path-style          path-style addressing (http://host/bucket/key)
  --passwd-file FILE    s3fs-style credentials (ACCESS:SECRET); else AWS_* env, ~/.passwd-s3fs
  --profile NAME        profile from ~/.aws/credentials
  --ca-file FILE        CA bundle for TLS verification
  --no-verify-tls       do not verify TLS certificates (unsafe)
  --anonymous           unsigned requests (public buckets)
  --sse s3|kms[:KEYID]|c:KEYFILE   server-side encryption for put/cp (c: 32-byte raw key file)
  --storage-class NAME  storage class for put/cp
  --content-type TYPE   content type for put
  --meta K=V            user metadata for put (repeatable)
  --part-size SIZE      multipart part size (default 16M)
  --multipart-threshold SIZE   (default 16M)
  --concurrency N       parts in flight (default 8)
  --retries N           retries per request
  --metrics FILE|-      after the command, write its S3 request metrics (Prometheus text,
                        docs/metrics.md) to FILE, or '-' for stderr
  --max-requests-per-sec N       requests started per second (default: no limit)
  --max-concurrent-requests N    requests in flight (default: no limit)
  --max-upload-bps SIZE          upload bytes per second, e.g. 20M (default: no limit)
  --max-download-bps SIZE        download bytes per second (default: no limit)
  --no-adaptive-slowdown         keep the request rate after 503 SlowDown answers
  --rate-limit-per-bucket        limits apply to each bucket separately
  -v, --verbose         debug log to stderr (secrets are never logged)
  -vv                   also every HTTP request and response header (secrets redacted)
  --version, --help
)";

struct Options {
  ConnectionSettings conn;
  s3::Sse sse;
  std::string storage_class;
  std::string content_type;
  std::map<std::string, std::string> metadata;
  s3::TransferOptions transfer;
  bool verbose = false;
  std::string metrics_out;  // --metrics: where the request metrics go ("-" = stderr)
};

struct S3Path {
  std::string bucket;
  std::string key;
};

bool ParseS3Path(const std::string& arg, S3Path* out) {
  if (!str::StartsWith(arg, "s3://")) return false;
  std::string rest = arg.substr(5);
  size_t slash = rest.find('/');
  out->bucket = rest.substr(0, slash);
  out->key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  return !out->bucket.empty();
}

int Usage(const std::string& why) {
  std::fprintf(stderr, "s3ctl: %s\n(run 's3ctl --help' for usage)\n", why.c_str());
  return kExitUsage;
}

const char* KindName(meta::Kind k) {
  switch (k) {
    case meta::Kind::kFile:
      return "file";
    case meta::Kind::kDirMarker:
      return "dir";
    case meta::Kind::kImplicitDir:
      return "dir(implicit)";
    case meta::Kind::kAbsent:
      return "absent";
  }
  return "?";
}

// `cache stats|ls|clear s3://BUCKET[/PREFIX] [--cache-dir DIR]`: works on the files only.
int CmdCache(const Options& o, const std::vector<std::string>& args) {
  std::string action;
  std::string base;
  S3Path p;
  bool have_path = false;
  for (size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--cache-dir" && k + 1 < args.size()) {
      base = args[++k];
    } else if (action.empty()) {
      action = args[k];
    } else if (!have_path && ParseS3Path(args[k], &p)) {
      have_path = true;
    } else {
      return Usage("cache takes stats|ls|clear s3://BUCKET[/PREFIX] [--cache-dir DIR]");
    }
  }
  if ((action != "stats" && action != "ls" && action != "clear") || !have_path) {
    return Usage("cache takes stats|ls|clear s3://BUCKET[/PREFIX] [--cache-dir DIR]");
  }
  std::string prefix = p.key;
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  meta::LmdbOptions lo;
  lo.dir = MetaCacheDir(o.conn, MetaCacheBase(base, ""), p.bucket, prefix);
  struct stat st {};
  if (::stat((lo.dir + "/data.mdb").c_str(), &st) != 0) {
    std::fprintf(stderr,
                 "s3ctl: no metadata cache at %s (mounted with the same endpoint, "
                 "bucket and prefix?)\n",
                 lo.dir.c_str());
    return kExitLocal;
  }
  auto store = meta::OpenLmdbMetadataStore(lo);
  if (action == "clear") {
    store->Clear();
    std::printf("cleared %s\n", lo.dir.c_str());
    return kExitOk;
  }
  if (action == "ls") {
    store->ForEachObject([](std::string_view path, const meta::ObjectRecord& r) {
      std::printf("%-13s %12llu %-36s %.*s\n", KindName(r.kind),
                  static_cast<unsigned long long>(r.size), r.etag.c_str(),
                  static_cast<int>(path.size()), path.data());
    });
    return kExitOk;
  }
  meta::Stats s = store->GetStats();
  std::printf(
      "path        %s\nrecords     %llu\nlistings    %llu\nfile bytes  %llu\n"
      "used bytes  %llu\ncap bytes   %llu\n",
      s.path.c_str(), static_cast<unsigned long long>(s.objects),
      static_cast<unsigned long long>(s.dirs), static_cast<unsigned long long>(s.file_bytes),
      static_cast<unsigned long long>(s.used_bytes),
      static_cast<unsigned long long>(s.capacity_bytes));
  return kExitOk;
}

int S3Fail(const s3::S3Error& e) {
  std::string hint;
  if (e.kind == "ConnectionFailed" || e.kind == "DnsResolutionFailed") {
    hint = " — is the endpoint right and reachable?";
  } else if (e.kind == "SignatureDoesNotMatch") {
    hint = " — the secret key is wrong";
  } else if (e.kind == "InvalidAccessKeyId") {
    hint = " — the access key is unknown to the server";
  } else if (e.kind == "RequestTimeTooSkewed") {
    hint = " — this machine's clock is off; fix it (e.g. with NTP)";
  } else if (e.kind == "TlsError" && e.message.find("certificate problem") != std::string::npos) {
    hint = " — for a private CA give --ca-file FILE (or AWS_CA_BUNDLE)";
  } else if (e.kind == "WrongRegion" && !e.region.empty()) {
    hint = " — use --region " + e.region;
  }
  std::fprintf(stderr, "s3ctl: %s%s\n", e.ToString().c_str(), hint.c_str());
  return kExitS3;
}

int LocalFail(const std::string& what) {
  std::fprintf(stderr, "s3ctl: %s\n", what.c_str());
  return kExitLocal;
}

std::string FormatTime(s3::TimePoint t) {
  std::string iso = s3::xml::FormatIso8601(t);
  return iso.substr(0, 19);  // 2024-01-02T03:04:05
}

// Progress bar on stderr when it is a terminal.
class Progress {
 public:
  explicit Progress(const std::string& label) : label_(label), tty_(::isatty(2) != 0) {
    start_ = std::chrono::steady_clock::now();
  }
  void Update(uint64_t done, uint64_t total) {
    if (!tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    int pct =
        total == 0
            ? 100
            : static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
    int bars = pct / 4;
    std::fprintf(stderr, "\r%s [%-25s] %3d%% %s/%s %s/s   ", label_.c_str(),
                 std::string(static_cast<size_t>(bars), '#').c_str(), pct,
                 str::HumanBytes(done).c_str(), str::HumanBytes(total).c_str(),
                 str::HumanBytes(static_cast<uint64_t>(rate)).c_str());
    if (done >= total) std::fprintf(stderr, "\n");
  }

 private:
  std::string label_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

int CmdLs(s3::Client& c, const std::vector<std::string>& args) {
  bool recursive = false;
  std::string target;
  for (const auto& a : args) {
    if (a == "-r" || a == "--recursive") {
      recursive = true;
    } else if (target.empty()) {
      target = a;
    } else {
      return Usage("ls takes one s3://BUCKET[/PREFIX]");
    }
  }
  if (target.empty()) {
    auto r = c.ListBuckets();
    if (!r.ok()) return S3Fail(r.error());
    for (const auto& b : r->buckets) {
      std::printf("%s  %s\n", FormatTime(b.creation_date).c_str(), b.name.c_str());
    }
    return kExitOk;
  }
  S3Path p;
  if (!ParseS3Path(target, &p)) return Usage("expected s3://BUCKET[/PREFIX], got " + target);
  s3::ListObjectsV2Request req;
  req.bucket = p.bucket;
  req.prefix = p.key;
  if (!recursive) req.delimiter = "/";
  auto st = c.ListObjectsV2All(req, [](const s3::ListObjectsV2Output& page) {
    for (const auto& cp : page.common_prefixes) std::printf("%30s  PRE %s\n", "", cp.c_str());
    for (const auto& o : page.contents) {
      std::printf("%s %12llu  %s\n", FormatTime(o.last_modified).c_str(),
                  static_cast<unsigned long long>(o.size), o.key.c_str());
    }
    return true;
  });
  if (!st.ok()) return S3Fail(st.error());
  return kExitOk;
}

int CmdPut(s3::Client& c, const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 2) return Usage("put takes FILE s3://BUCKET/KEY");
  S3Path p;
  if (!ParseS3Path(args[1], &p)) return Usage("expected s3://BUCKET/KEY, got " + args[1]);
  if (p.key.empty() || p.key.back() == '/') {
    size_t slash = args[0].rfind('/');
    p.key += slash == std::string::npos ? args[0] : args[0].substr(slash + 1);
  }
  int fd = ::open(args[0].c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return LocalFail(args[0] + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return LocalFail(args[0] + ": not a regular file");
  }
  s3::FdSource src(fd, static_cast<uint64_t>(st.st_size));
  s3::PutObjectRequest req;
  req.bucket = p.bucket;
  req.key = p.key;
  req.sse = o.sse;
  req.attrs.storage_class = o.storage_class;
  req.attrs.content_type = o.content_type;
  req.attrs.metadata = o.metadata;
  Progress progress("put " + p.key);
  s3::TransferOptions topt = o.transfer;
  topt.progress = [&](uint64_t d, uint64_t t) { progress.Update(d, t); };
  auto r = s3::Upload(c, req, src, topt);
  ::close(fd);
  if (!r.ok()) return S3Fail(r.error());
  std::printf("uploaded %s to s3://%s/%s etag=%s%s\n",
              str::HumanBytes(static_cast<uint64_t>(st.st_size)).c_str(), p.bucket.c_str(),
              p.key.c_str(), r->etag.c_str(),
              r->parts ? (" parts=" + std::to_string(r->parts)).c_str() : "");
  return kExitOk;
}

class StdoutSink final : public http::BodySink {
 public:
  bool Write(const char* data, size_t n) override { return std::fwrite(data, 1, n, stdout) == n; }
};

int CmdGet(s3::Client& c, const Options& o, const std::vector<std::string>& args) {
  if (args.size() != 2) return Usage("get takes s3://BUCKET/KEY FILE|-");
  S3Path p;
  if (!ParseS3Path(args[0], &p) || p.key.empty()) {
    return Usage("expected s3://BUCKET/KEY, got " + args[0]);
  }
  s3::GetObjectRequest req;
  req.bucket = p.bucket;
  req.key = p.key;
  if (o.sse.kind == s3::Sse::Kind::kCustomer) req.sse = o.sse;
  if (args[1] == "-") {
    StdoutSink sink;
    auto r = c.GetObject(req, &sink);
    std::fflush(stdout);
    if (!r.ok()) return S3Fail(r.error());
    return kExitOk;
  }
  // Download into a temporary file next to the target, renamed into place on success, so a
  // failed download never leaves a truncated file under the final name.
  std::string tmp = args[1] + ".s3ctl-partial";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return LocalFail(tmp + ": " + std::strerror(errno));
  s3::FdSink sink(fd);
  Progress progress("get " + p.key);
  s3::TransferOptions topt = o.transfer;
  topt.progress = [&](uint64_t d, uint64_t t) { progress.Update(d, t); };
  auto r = s3::Download(c, req, sink, topt);
  bool ok = r.ok() && ::ftruncate(fd, static_cast<off_t>(r->bytes)) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!r.ok()) {
    ::unlink(tmp.c_str());
    return S3Fail(r.error());
  }
  if (!ok || ::rename(tmp.c_str(), args[1].c_str()) != 0) {
    ::unlink(tmp.c_str());
    return LocalFail(args[1] + ": " + std::strerror(errno));
  }
  std::printf("downloaded s3://%s/%s (%s) to %s\n", p.bucket.c_str(), p.key.c_str(),
              str::HumanBytes(r->bytes).c_str(), args[1].c_str());
  return kExitOk;
}

int CmdHead(s3::Client& c, const Options& o, const std::vector<std::string>& args) {
  S3Path p;
  if (args.size() != 1 || !ParseS3Path(args[0], &p) || p.key.empty()) {
    return Usage("head takes s3://BUCKET/KEY");
  }
  s3::HeadObjectRequest req;
  req.bucket = p.bucket;
  req.key = p.key;
  if (o.sse.kind == s3::Sse::Kind::kCustomer) req.sse = o.sse;
  auto r = c.HeadObject(req);
  if (!r.ok()) return S3Fail(r.error());
  const auto& i = *r;
  std::printf("key: %s\nsize: %llu\netag: %s\nlast-modified: %s\ncontent-type: %s\n", p.key.c_str(),
              static_cast<unsigned long long>(i.content_length), i.etag.c_str(),
              s3::xml::FormatHttpDate(i.last_modified).c_str(), i.content_type.c_str());
  std::printf("storage-class: %s\n",
              i.storage_class.empty() ? "STANDARD" : i.storage_class.c_str());
  if (!i.sse.empty()) std::printf("sse: %s\n", i.sse.c_str());
  if (!i.sse_kms_key_id.empty()) std::printf("sse-kms-key-id: %s\n", i.sse_kms_key_id.c_str());
  if (!i.sse_customer_algorithm.empty()) {
    std::printf("sse-customer-algorithm: %s\n", i.sse_customer_algorithm.c_str());
  }
  if (!i.version_id.empty()) std::printf("version-id: %s\n", i.version_id.c_str());
  for (const auto& [k, v] : i.metadata) std::printf("x-amz-meta-%s: %s\n", k.c_str(), v.c_str());
  return kExitOk;
}

int CmdCp(s3::Client& c, const Options& o, const std::vector<std::string>& args) {
  S3Path from, to;
  if (args.size() != 2 || !ParseS3Path(args[0], &from) || !ParseS3Path(args[1], &to) ||
      from.key.empty()) {
    return Usage("cp takes s3://B1/K1 s3://B2/K2");
  }
  if (to.key.empty() || to.key.back() == '/') {
    size_t slash = from.key.rfind('/');
    to.key += slash == std::string::npos ? from.key : from.key.substr(slash + 1);
  }
  s3::CopyObjectRequest req;
  req.source_bucket = from.bucket;
  req.source_key = from.key;
  req.bucket = to.bucket;
  req.key = to.key;
  req.sse = o.sse;
  req.attrs.storage_class = o.storage_class;
  auto r = c.CopyObject(req);
  if (!r.ok()) return S3Fail(r.error());
  std::printf("copied s3://%s/%s to s3://%s/%s etag=%s\n", from.bucket.c_str(), from.key.c_str(),
              to.bucket.c_str(), to.key.c_str(), r->etag.c_str());
  return kExitOk;
}

int CmdRm(s3::Client& c, const std::vector<std::string>& args) {
  if (args.empty()) return Usage("rm takes s3://BUCKET/KEY...");
  std::vector<S3Path> paths;
  for (const auto& a : args) {
    S3Path p;
    if (!ParseS3Path(a, &p) || p.key.empty()) return Usage("expected s3://BUCKET/KEY, got " + a);
    paths.push_back(p);
  }
  if (paths.size() == 1) {
    auto r = c.DeleteObject({paths[0].bucket, paths[0].key, ""});
    if (!r.ok()) return S3Fail(r.error());
    std::printf("deleted s3://%s/%s\n", paths[0].bucket.c_str(), paths[0].key.c_str());
    return kExitOk;
  }
  std::map<std::string, std::vector<s3::ObjectIdentifier>> by_bucket;
  for (const auto& p : paths) by_bucket[p.bucket].push_back({p.key, ""});
  int rc = kExitOk;
  for (auto& [bucket, objects] : by_bucket) {
    for (size_t i = 0; i < objects.size(); i += s3::kMaxDeleteObjects) {
      s3::DeleteObjectsRequest req;
      req.bucket = bucket;
      size_t end = std::min(objects.size(), i + s3::kMaxDeleteObjects);
      req.objects.assign(objects.begin() + static_cast<long>(i),
                         objects.begin() + static_cast<long>(end));
      auto r = c.DeleteObjects(req);
      if (!r.ok()) return S3Fail(r.error());
      for (const auto& d : r->deleted)
        std::printf("deleted s3://%s/%s\n", bucket.c_str(), d.key.c_str());
      for (const auto& e : r->errors) {
        std::fprintf(stderr, "s3ctl: s3://%s/%s: %s %s\n", bucket.c_str(), e.key.c_str(),
                     e.code.c_str(), e.message.c_str());
        rc = kExitS3;
      }
    }
  }
  return rc;
}

int CmdPresign(s3::Client& c, const Options& o, const std::vector<std::string>& args) {
  S3Path p;
  s3::PresignRequest req;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--expires" && i + 1 < args.size()) {
      int64_t v = 0;
      if (!str::ParseInt64(args[++i], &v)) return Usage("--expires takes seconds");
      req.expires_in = std::chrono::seconds(v);
    } else if (args[i] == "--method" && i + 1 < args.size()) {
      std::string m = args[++i];
      if (m == "GET")
        req.op = s3::PresignRequest::Op::kGet;
      else if (m == "PUT")
        req.op = s3::PresignRequest::Op::kPut;
      else if (m == "DELETE")
        req.op = s3::PresignRequest::Op::kDelete;
      else
        return Usage("--method is GET, PUT or DELETE");
    } else if (p.bucket.empty() && ParseS3Path(args[i], &p)) {
    } else {
      return Usage("presign takes s3://BUCKET/KEY [--expires S] [--method M]");
    }
  }
  if (p.key.empty()) return Usage("presign takes s3://BUCKET/KEY");
  req.bucket = p.bucket;
  req.key = p.key;
  if (req.op == s3::PresignRequest::Op::kPut) {
    req.content_type = o.content_type;
    req.storage_class = o.storage_class;
  }
  auto r = c.Presign(req);
  if (!r.ok()) return S3Fail(r.error());
  std::printf("%s\n", r->url.c_str());
  for (const auto& [k, v] : r->signed_headers) {
    std::fprintf(stderr, "send header: %s: %s\n", k.c_str(), v.c_str());
  }
  return kExitOk;
}

int CmdTag(s3::Client& c, const std::vector<std::string>& args) {
  S3Path p;
  if (args.size() < 2 || !ParseS3Path(args[1], &p) || p.key.empty()) {
    return Usage("tag get|set|rm s3://BUCKET/KEY [K=V...]");
  }
  if (args[0] == "get") {
    auto r = c.GetObjectTagging(p.bucket, p.key);
    if (!r.ok()) return S3Fail(r.error());
    for (const auto& t : r->tags) std::printf("%s=%s\n", t.key.c_str(), t.value.c_str());
    return kExitOk;
  }
  if (args[0] == "set") {
    std::vector<s3::Tag> tags;
    for (size_t i = 2; i < args.size(); ++i) {
      size_t eq = args[i].find('=');
      if (eq == std::string::npos) return Usage("tags are K=V, got " + args[i]);
      tags.push_back({args[i].substr(0, eq), args[i].substr(eq + 1)});
    }
    auto r = c.PutObjectTagging(p.bucket, p.key, tags);
    if (!r.ok()) return S3Fail(r.error());
    return kExitOk;
  }
  if (args[0] == "rm") {
    auto r = c.DeleteObjectTagging(p.bucket, p.key);
    if (!r.ok()) return S3Fail(r.error());
    return kExitOk;
  }
  return Usage("tag get|set|rm");
}

int CmdMpu(s3::Client& c, const std::vector<std::string>& args) {
  S3Path p;
  if (args.size() >= 2 && args[0] == "ls" && ParseS3Path(args[1], &p)) {
    s3::ListMultipartUploadsRequest req;
    req.bucket = p.bucket;
    req.prefix = p.key;
    while (true) {
      auto r = c.ListMultipartUploads(req);
      if (!r.ok()) return S3Fail(r.error());
      for (const auto& u : r->uploads) {
        std::printf("%s  %s  %s\n", FormatTime(u.initiated).c_str(), u.upload_id.c_str(),
                    u.key.c_str());
      }
      if (!r->is_truncated) break;
      req.key_marker = r->next_key_marker;
      req.upload_id_marker = r->next_upload_id_marker;
    }
    return kExitOk;
  }
  if (args.size() == 3 && args[0] == "abort" && ParseS3Path(args[1], &p) && !p.key.empty()) {
    auto r = c.AbortMultipartUpload({p.bucket, p.key, args[2]});
    if (!r.ok()) return S3Fail(r.error());
    std::printf("aborted %s\n", args[2].c_str());
    return kExitOk;
  }
  return Usage("mpu ls s3://BUCKET[/PREFIX] | mpu abort s3://BUCKET/KEY UPLOAD_ID");
}

int ParseSse(const std::string& v, Options* o) {
  if (v == "s3") {
    o->sse = s3::Sse::S3();
  } else if (v == "kms") {
    o->sse = s3::Sse::Kms("");
  } else if (str::StartsWith(v, "kms:")) {
    o->sse = s3::Sse::Kms(v.substr(4));
  } else if (str::StartsWith(v, "c:")) {
    std::string key;
    std::string error;
    unsigned mode = 0;
    if (!ReadSmallFile(v.substr(2), &key, &error, &mode)) {
      return LocalFail("--sse key file " + error);
    }
    if ((mode & (S_IRWXG | S_IRWXO)) != 0) {
      SecureWipe(key.data(), key.size());
      return LocalFail("--sse key file " + v.substr(2) +
                       " is accessible by others: run chmod 600 " + v.substr(2));
    }
    if (key.size() != 32) {
      SecureWipe(key.data(), key.size());
      return Usage("--sse c:FILE needs a file of exactly 32 raw bytes");
    }
    o->sse = s3::Sse::Customer(SecretString(key));
    SecureWipe(key.data(), key.size());
  } else {
    return Usage("--sse is s3, kms[:KEYID] or c:KEYFILE");
  }
  return kExitOk;
}

// Runs one command (other than `cache`) on the client.
int RunCommand(s3::Client& c, const Options& o, const std::string& cmd,
               const std::vector<std::string>& rest);

int Main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  auto need = [&](const std::string& flag) -> std::optional<std::string> {
    if (i + 1 >= args.size()) return std::nullopt;
    (void)flag;
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.empty() || a[0] != '-') break;
    std::optional<std::string> v;
    auto size_opt = [&](uint64_t* out) -> int {
      v = need(a);
      if (!v || !str::ParseSize(*v, out) || *out == 0) return Usage(a + " takes a size");
      return kExitOk;
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--version") {
      std::printf("s3ctl %s\n", S3FS_VERSION);
      return kExitOk;
    } else if (a == "-v" || a == "--verbose") {
      o.verbose = true;
    } else if (a == "-vv") {
      o.verbose = true;
      o.conn.curl_debug = true;
    } else if (a == "--path-style") {
      o.conn.path_style = true;
    } else if (a == "--no-verify-tls") {
      o.conn.verify_tls = false;
    } else if (a == "--anonymous") {
      o.conn.anonymous = true;
    } else if (a == "--endpoint" || a == "--region" || a == "--passwd-file" || a == "--profile" ||
               a == "--ca-file" || a == "--sse" || a == "--storage-class" ||
               a == "--content-type" || a == "--meta" || a == "--concurrency" || a == "--retries" ||
               a == "--metrics") {
      v = need(a);
      if (!v) return Usage(a + " needs a value");
      if (a == "--endpoint") o.conn.endpoint = *v;
      if (a == "--region") o.conn.region = *v;
      if (a == "--passwd-file") o.conn.passwd_file = *v;
      if (a == "--profile") o.conn.profile = *v;
      if (a == "--ca-file") o.conn.ca_file = *v;
      if (a == "--storage-class") o.storage_class = *v;
      if (a == "--content-type") o.content_type = *v;
      if (a == "--metrics") o.metrics_out = *v;
      if (a == "--sse") {
        if (int rc = ParseSse(*v, &o); rc != kExitOk) return rc;
      }
      if (a == "--meta") {
        size_t eq = v->find('=');
        if (eq == std::string::npos) return Usage("--meta takes K=V");
        o.metadata[v->substr(0, eq)] = v->substr(eq + 1);
      }
      if (a == "--concurrency" || a == "--retries") {
        uint64_t n = 0;
        if (!str::ParseUint64(*v, &n) || n > 1024) return Usage(a + " takes a number");
        if (a == "--concurrency")
          o.transfer.concurrency = static_cast<int>(std::max<uint64_t>(1, n));
        if (a == "--retries") o.conn.retries = static_cast<int>(n);
      }
    } else if (a == "--max-requests-per-sec" || a == "--max-concurrent-requests") {
      v = need(a);
      uint64_t n = 0;
      if (!v || !str::ParseUint64(*v, &n) || n > 1000000) return Usage(a + " takes a number");
      (a == "--max-requests-per-sec" ? o.conn.max_requests_per_sec
                                     : o.conn.max_concurrent_requests) = n;
    } else if (a == "--max-upload-bps") {
      if (int rc = size_opt(&o.conn.max_upload_bps); rc != kExitOk) return rc;
    } else if (a == "--max-download-bps") {
      if (int rc = size_opt(&o.conn.max_download_bps); rc != kExitOk) return rc;
    } else if (a == "--no-adaptive-slowdown") {
      o.conn.adaptive_slowdown = false;
    } else if (a == "--rate-limit-per-bucket") {
      o.conn.rate_limit_per_bucket = true;
    } else if (a == "--part-size") {
      if (int rc = size_opt(&o.transfer.part_size); rc != kExitOk) return rc;
    } else if (a == "--multipart-threshold") {
      if (int rc = size_opt(&o.transfer.multipart_threshold); rc != kExitOk) return rc;
    } else {
      return Usage("unknown option " + a);
    }
  }
  if (i >= args.size()) return Usage("no command given");
  std::string cmd = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
  log::LogToStderr();  // `get KEY -` writes the object to stdout
  log::SetLevel(o.verbose ? log::Level::kDebug : log::Level::kWarn);

  static const std::vector<std::string> kCommands = {"ls", "mb", "rb",      "put", "get", "head",
                                                     "cp", "rm", "presign", "tag", "mpu", "cache"};
  if (std::find(kCommands.begin(), kCommands.end(), cmd) == kCommands.end()) {
    return Usage("unknown command '" + cmd + "'");
  }
  if (cmd == "cache") return CmdCache(o, rest);
  // Per-bucket passwd lines need the bucket before credentials are resolved.
  for (const auto& r : rest) {
    S3Path p;
    if (ParseS3Path(r, &p)) {
      o.conn.bucket = p.bucket;
      break;
    }
  }
  std::shared_ptr<metrics::Registry> registry;
  std::shared_ptr<s3::ClientMetrics> observer;
  if (!o.metrics_out.empty()) {
    registry = std::make_shared<metrics::Registry>();
    observer = std::make_shared<s3::ClientMetrics>(*registry);
  }
  auto bundle = MakeClient(o.conn, observer);
  if (!bundle.ok()) return S3Fail(bundle.error());
  const int rc = RunCommand(*bundle->client, o, cmd, rest);
  if (registry) {
    const std::string text = registry->Render();
    if (o.metrics_out == "-") {
      std::fputs(text.c_str(), stderr);
    } else if (FILE* f = std::fopen(o.metrics_out.c_str(), "w")) {
      const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
      if (std::fclose(f) != 0 || !ok) return LocalFail("cannot write " + o.metrics_out);
    } else {
      return LocalFail("cannot write " + o.metrics_out + ": " + std::strerror(errno));
    }
  }
  return rc;
}

int RunCommand(s3::Client& c, const Options& o, const std::string& cmd,
               const std::vector<std::string>& rest) {
  if (cmd == "ls") return CmdLs(c, rest);
  if (cmd == "mb" || cmd == "rb") {
    S3Path p;
    std::string location;
    std::vector<std::string> targets;
    for (size_t k = 0; k < rest.size(); ++k) {
      if (rest[k] == "--location" && k + 1 < rest.size()) {
        location = rest[++k];
      } else {
        targets.push_back(rest[k]);
      }
    }
    if (targets.size() != 1 || !ParseS3Path(targets[0], &p) || !p.key.empty()) {
      return Usage(cmd + " takes s3://BUCKET");
    }
    if (cmd == "mb") {
      s3::CreateBucketRequest req;
      req.bucket = p.bucket;
      req.location_constraint = location;
      auto r = c.CreateBucket(req);
      if (!r.ok()) return S3Fail(r.error());
      std::printf("created bucket %s\n", p.bucket.c_str());
    } else {
      auto r = c.DeleteBucket(p.bucket);
      if (!r.ok()) return S3Fail(r.error());
      std::printf("deleted bucket %s\n", p.bucket.c_str());
    }
    return kExitOk;
  }
  if (cmd == "put") return CmdPut(c, o, rest);
  if (cmd == "get") return CmdGet(c, o, rest);
  if (cmd == "head") return CmdHead(c, o, rest);
  if (cmd == "cp") return CmdCp(c, o, rest);
  if (cmd == "rm") return CmdRm(c, rest);
  if (cmd == "presign") return CmdPresign(c, o, rest);
  if (cmd == "tag") return CmdTag(c, rest);
  return CmdMpu(c, rest);
}

}  // namespace
}  // namespace s3fs::cli

int main(int argc, char** argv) { return s3fs::cli::Main(argc, argv); }
