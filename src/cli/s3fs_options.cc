#include "s3fs_options.h"

#include <cctype>
#include <map>
#include <set>

#include "s3fs/common/strings.h"
#include "s3fs/s3/types.h"

namespace s3fs::cli {

namespace {

// Options s3fs-fuse accepts that we accept and ignore (with a warning saying why).
const std::map<std::string, std::string>& IgnoredOptions() {
  static const std::map<std::string, std::string> kIgnored = {
      {"use_rrs", "deprecated in s3fs-fuse; use storage_class=REDUCED_REDUNDANCY"},
      {"nocopyapi", "copies always use CopyObject here"},
      {"norenameapi", "renames always use CopyObject here"},
      {"nomultipart", "multipart is used above multipart_size"},
      {"notsup_compat_dir", "all directory forms are always understood"},
      {"compat_dir", "all directory forms are always understood"},
      {"listobjectsv2", "ListObjectsV2 is always used"},
      {"sigv4", "Signature V4 is always used"},
      {"complement_stat", "no effect"},
      {"enable_content_md5", "no effect"},
      {"noxmlns", "no effect"},
      {"nodnscache", "libcurl's DNS cache is kept"},
      {"nosscache", "no effect"},
      {"instance_name", "no effect"},
      {"cipher_suites", "the system's TLS defaults are used"},
      {"max_background", "no effect"},
      {"multireq_max", "requests are bounded by parallel_count and head_concurrency"},
      {"singlepart_copy_limit", "copies switch to multipart above 5 GiB"},
      {"multipart_copy_size", "multipart copies use 512 MiB parts"},
      {"mime", "content types are kept as S3 reports them"},
      {"kernel_cache", "no effect"},
      {"big_writes", "always on with FUSE 3"},
      {"noatime", "atime is never updated on read"},
      {"relatime", "atime is never updated on read"},
      {"atime", "atime is never updated on read"},
      {"strictatime", "atime is never updated on read"},
      {"auto_cache", "no effect"},
      {"connect_timeout_ms", "no effect"},
      {"update_parent_dir_stat", "no effect"},
      {"use_wtf8", "no effect"},
      {"streamupload", "uploads stream already"},
      {"fake_diskfree", "no effect"},
      {"host", "use url="},
      {"servicepath", "use url= with a path"},
      {"default_acl", "objects get the bucket's default ACL"},
  };
  return kIgnored;
}

// Mount/fstab words that carry no meaning for us.
const std::set<std::string>& NoiseWords() {
  static const std::set<std::string> kNoise = {
      "_netdev", "auto",  "noauto", "user",   "users", "nouser", "nofail", "defaults", "rw",
      "dev",     "nodev", "suid",   "nosuid", "exec",  "noexec", "async",  "owner",    "comment"};
  return kNoise;
}

bool ParseUint(const std::string& v, uint64_t* out) { return str::ParseUint64(v, out); }

bool ParseOctal(const std::string& v, uint32_t* out) {
  if (v.empty() || v.size() > 4) return false;
  uint32_t r = 0;
  for (char c : v) {
    if (c < '0' || c > '7') return false;
    r = r * 8 + static_cast<uint32_t>(c - '0');
  }
  *out = r;
  return true;
}

}  // namespace

std::string MountUsage() {
  return R"(usage: s3fs BUCKET[:/PREFIX] MOUNTPOINT [-o option[,option]...] [-f] [-d] [-s]
       s3fs MOUNTPOINT -o bucket=BUCKET [...]
       mount -t fuse.s3fs BUCKET MOUNTPOINT -o ...

Mounts an S3 bucket (or a prefix of it) as a filesystem; command line compatible with s3fs-fuse.

Common options (-o):
  passwd_file=FILE          credentials ACCESS:SECRET or BUCKET:ACCESS:SECRET (mode 600)
  profile=NAME              profile of ~/.aws/credentials and ~/.aws/config (role_arn too)
  iam_role[=auto|NAME]      EC2 instance role credentials (instance metadata, IMDSv2)
  ecs                       ECS/EKS container credentials (AWS_CONTAINER_CREDENTIALS_*)
  url=URL                   endpoint (default https://s3.amazonaws.com)
  endpoint=REGION           signing region (s3fs-fuse's name; also region=REGION)
  use_path_request_style    path-style requests (most S3-compatible servers)
  allow_other, allow_root   let other users access the mount
  uid=N, gid=N, umask=OOO   owner and permission mask shown for every file
  mp_umask=OOO              permission mask of the mount point
  ro                        read-only mount
  nonempty                  allow mounting over a non-empty directory
  use_cache=DIR             keep object data on local disk under DIR across opens and
                            remounts, and stage written data there (default: no data
                            cache, staging in /tmp)
  max_cache_size=MB         data cache cap (default 10240; 0 = ensure_diskfree only)
  ensure_diskfree=MB        free space the data cache leaves on its disk (default 1024)
  del_cache                 empty the data cache at mount and unmount
  tmpdir=DIR                where written data is staged without use_cache (default /tmp)
  max_dirty_data=MB|-1      upload a file before close once this much is written to it
                            (default 5120)
  stat_cache_expire=SEC     attribute cache lifetime (default 60)
  stat_cache_interval_expire=SEC
                            the same, counted from each entry's last use instead of its fetch
  enable_noobj_cache        cache "does not exist" answers (default on)
  noobj_cache_expire=SEC    lifetime of "does not exist" answers (default 10)
  meta_cache=DIR|off        persistent metadata cache (LMDB) directory, or off (default:
                            DIR/.s3fs-meta with use_cache=DIR, else $XDG_CACHE_HOME/s3fs,
                            ~/.cache/s3fs or /var/cache/s3fs)
  meta_cache_size=MB        metadata cache file cap (default 256)
  max_stat_cache_size=N     metadata records kept (default 1000000)
  multipart_size=MB         multipart part size (default 16)
  multipart_max_parts=N     the service's limit on parts per upload (default 10000, as S3);
                            part sizes grow so that files of any size fit
  parallel_count=N          parts in flight per file (default 8)
  stream_writes=0|1         upload parts while a new file is written (default 1)
  async_close[=0|1]         close() returns once written data is on local disk and
                            journaled; uploads follow (a crash: the next mount uploads
                            them). fsync() still waits for S3. Default 0
  async_close_max_files=N   closes waiting for their upload at most (default 1000)
  async_close_max_mb=MB     bytes waiting for their upload at most (default 1024)
  upload_slots=N            parts in flight across all files (default 32)
  random_read_cache_max=MB  random readers fetch objects up to this size whole (default 1024)
  read_parallel=N           ranged GETs in flight ahead of a sequential reader (default 16)
  read_part_size=MB         size of those GETs (default 8)
  read_ahead_memory=MB      memory for the read-ahead of all open files (default 256)
  lookup_prefetch=KB        a lookup asks for a file's first KB with a ranged GET instead
                            of a HEAD (same round trip): its first read needs no request
                            (default 128; 0 = HEAD only; off with use_cache)
  abort_stale_uploads=H|off abort multipart uploads older than H hours at mount (default 24)
  use_sse[=1|kmsid[:KEYID]|custom:KEYFILE]   server-side encryption for new objects
  storage_class=CLASS       storage class for new objects
  retries=N                 retries per request (default: per error class, see docs)
  connect_timeout=SEC, readwrite_timeout=SEC
  requester_pays            send x-amz-request-payer
  public_bucket=1           anonymous access
  max_requests_per_sec=N    requests started per second (default: no limit)
  max_concurrent_requests=N requests in flight (default: no limit)
  max_upload_bps=SIZE       upload bytes per second, e.g. 20M (default: no limit)
  max_download_bps=SIZE     download bytes per second (default: no limit)
  adaptive_slowdown=0|1     halve the request rate when 503 SlowDowns cluster (default 1)
  rate_limit_per_bucket     limits apply to each bucket separately
  ssl_verify_hostname=0     do not verify TLS certificates (unsafe)
  dbglevel=LEVEL            crit|err|warn|info|debug
  logfile=FILE              log to FILE instead of syslog
  curldbg                   log HTTP headers (secrets redacted)
  list_attrs_only           take attributes from listings alone (no HEAD per file)
  list_s3_xattrs            listxattr also names the user.s3.* attributes (docs/xattrs.md)
  presign_expires=SEC       lifetime of user.s3.presigned_url (default 3600, max 604800)
  head_concurrency=N        HEADs in flight when listing (default 64)
  metrics_port=PORT         serve Prometheus metrics at http://127.0.0.1:PORT/metrics
  metrics_file=PATH         write Prometheus metrics to PATH (absolute) every
                            metrics_interval=SEC (default 10) and at unmount

  -f  stay in the foreground     -d  debug log to stderr (-d -d: FUSE tracing)
  -s  single-threaded            -h, --help      --version

See docs/configuration.md for every option and its s3fs-fuse counterpart.
)";
}

Result<MountConfig, ParseError> ParseMountArgs(const std::vector<std::string>& argv,
                                               uint32_t default_uid, uint32_t default_gid) {
  MountConfig c;
  c.fs.uid = default_uid;
  c.fs.gid = default_gid;
  std::vector<std::string> positional;
  std::vector<std::string> opts;
  auto fail = [](std::string m) {
    return Result<MountConfig, ParseError>(Fail(ParseError{std::move(m)}));
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" || a == "--help") {
      c.help = true;
    } else if (a == "--version" || a == "-V") {
      c.version = true;
    } else if (a == "-f") {
      c.foreground = true;
    } else if (a == "-d" || a == "--debug") {
      if (c.debug) c.fuse_debug = true;
      c.debug = true;
      c.foreground = true;
      c.log_level = "debug";
    } else if (a == "-s") {
      c.single_thread = true;
    } else if (a == "-o") {
      if (i + 1 >= argv.size()) return fail("-o needs a value");
      for (auto& o : str::Split(argv[++i], ',')) {
        if (!o.empty()) opts.push_back(o);
      }
    } else if (str::StartsWith(a, "-o") && a.size() > 2) {
      for (auto& o : str::Split(a.substr(2), ',')) {
        if (!o.empty()) opts.push_back(o);
      }
    } else if (!a.empty() && a[0] == '-') {
      return fail("unknown command-line option '" + a + "'");
    } else {
      positional.push_back(a);
    }
  }
  if (c.help || c.version) return c;

  std::string bucket_opt;
  for (const std::string& raw : opts) {
    size_t eq = raw.find('=');
    std::string name = raw.substr(0, eq);
    bool has_value = eq != std::string::npos;
    std::string value = has_value ? raw.substr(eq + 1) : "";
    auto need_value = [&]() -> bool { return has_value && !value.empty(); };
    uint64_t n = 0;
    if (NoiseWords().count(name) || str::StartsWith(name, "x-systemd.") ||
        str::StartsWith(name, "x-gvfs")) {
      continue;
    }
    if (auto it = IgnoredOptions().find(name); it != IgnoredOptions().end()) {
      c.warnings.push_back("option " + name + " is accepted and ignored: " + it->second);
      continue;
    }
    if (name == "bucket") {
      if (!need_value()) return fail("bucket= needs a value");
      bucket_opt = value;
    } else if (name == "passwd_file") {
      if (!need_value()) return fail("passwd_file= needs a path");
      c.conn.passwd_file = value;
    } else if (name == "url") {
      if (!need_value()) return fail("url= needs a value");
      c.conn.endpoint = value;
    } else if (name == "endpoint" || name == "region") {
      if (!need_value()) return fail(name + "= needs a region name");
      c.conn.region = value;
    } else if (name == "use_path_request_style") {
      c.conn.path_style = true;
    } else if (name == "allow_other" || name == "allow_root" || name == "default_permissions") {
      c.fuse_options.push_back(name);
    } else if (name == "ro") {
      c.fs.read_only = true;
      c.fuse_options.push_back("ro");
    } else if (name == "uid" || name == "gid") {
      if (!ParseUint(value, &n) || n > UINT32_MAX) return fail(name + "= needs a number");
      if (name == "uid") {
        c.fs.force_uid = static_cast<uint32_t>(n);
        c.fs.uid = static_cast<uint32_t>(n);
      } else {
        c.fs.force_gid = static_cast<uint32_t>(n);
        c.fs.gid = static_cast<uint32_t>(n);
      }
    } else if (name == "umask" || name == "mp_umask") {
      uint32_t m = 0;
      if (!ParseOctal(value, &m)) return fail(name + "= needs an octal mask like 022");
      if (name == "umask")
        c.fs.umask = m;
      else
        c.fs.mp_umask = m;
    } else if (name == "nonempty") {
      c.nonempty = true;
    } else if (name == "use_cache") {
      if (!value.empty()) {
        c.fs.staging_dir = value;
        c.use_cache_given = true;
      }
    } else if (name == "tmpdir") {
      if (!need_value()) return fail("tmpdir= needs a directory");
      c.tmpdir = value;
    } else if (name == "meta_cache") {
      if (!need_value()) return fail("meta_cache= needs a directory or off");
      if (value == "off" || value == "0") {
        c.meta_cache = false;
      } else {
        c.meta_cache = true;
        c.meta_cache_dir = value;
      }
    } else if (name == "meta_cache_size") {
      if (!ParseUint(value, &n) || n < 1 || n > (1u << 20)) {
        return fail("meta_cache_size= is in MB, 1 to 1048576");
      }
      c.meta_cache_bytes = n << 20;
    } else if (name == "max_stat_cache_size") {
      if (!ParseUint(value, &n) || n < 1) return fail("max_stat_cache_size= needs a count");
      c.meta_cache_entries = n;
    } else if (name == "noobj_cache_expire") {
      if (!ParseUint(value, &n)) return fail("noobj_cache_expire= needs seconds");
      c.fs.negative_ttl = std::chrono::seconds(n);
    } else if (name == "del_cache") {
      c.del_cache = true;
    } else if (name == "check_cache_dir_exist") {
      // The cache directory is created when missing; staged data is in unnamed files.
    } else if (name == "ensure_diskfree") {
      if (!ParseUint(value, &n) || n > (1u << 30)) return fail("ensure_diskfree= is in MB");
      c.ensure_diskfree = n << 20;
    } else if (name == "max_cache_size") {
      if (!ParseUint(value, &n) || n > (1u << 30)) {
        return fail("max_cache_size= is in MB (0: bounded by ensure_diskfree only)");
      }
      c.data_cache_bytes = n << 20;
    } else if (name == "stat_cache_expire" || name == "stat_cache_interval_expire") {
      // As in s3fs-fuse the two are exclusive: the last one given decides.
      if (!ParseUint(value, &n)) return fail(name + "= needs seconds");
      c.fs.stat_ttl = std::chrono::seconds(n);
      c.fs.stat_ttl_from_access = name == "stat_cache_interval_expire";
    } else if (name == "enable_noobj_cache") {
      c.fs.negative_cache = true;
    } else if (name == "disable_noobj_cache") {
      c.fs.negative_cache = false;
    } else if (name == "multipart_max_parts") {
      if (!ParseUint(value, &n) || n < 10 || n > 10000) {
        return fail("multipart_max_parts= is a number of parts, 10 to 10000");
      }
      c.fs.max_parts = static_cast<uint32_t>(n);
    } else if (name == "multipart_size") {
      if (!ParseUint(value, &n) || n < 5 || n > 5120) {
        return fail("multipart_size= is in MB, 5 to 5120");
      }
      c.multipart_size = n << 20;
    } else if (name == "parallel_count") {
      if (!ParseUint(value, &n) || n < 1 || n > 256) return fail("parallel_count= is 1 to 256");
      c.parallel_count = static_cast<int>(n);
    } else if (name == "async_close") {
      if (has_value && value != "0" && value != "1") return fail("async_close= is 0 or 1");
      c.fs.async_close = !has_value || value == "1";
    } else if (name == "async_close_max_files") {
      if (!ParseUint(value, &n) || n < 1 || n > 1000000) {
        return fail("async_close_max_files= is a number of files, 1 or more");
      }
      c.fs.async_close_max_files = static_cast<int>(n);
    } else if (name == "async_close_max_mb") {
      if (!ParseUint(value, &n) || n < 1 || n > (1ULL << 24)) {
        return fail("async_close_max_mb= is in MB, 1 or more");
      }
      c.fs.async_close_max_bytes = n << 20;
    } else if (name == "stream_writes") {
      if (value != "0" && value != "1") return fail("stream_writes= is 0 or 1");
      c.fs.stream_writes = value == "1";
    } else if (name == "streamupload") {
      c.fs.stream_writes = true;  // s3fs-fuse's opt-in; always on here unless stream_writes=0
    } else if (name == "random_read_cache_max") {
      if (!ParseUint(value, &n) || n > (1u << 20)) {
        return fail("random_read_cache_max= is in MB (0 disables)");
      }
      c.fs.random_read_cache_max = n << 20;
    } else if (name == "lookup_prefetch") {
      if (!ParseUint(value, &n) || n > 16384) return fail("lookup_prefetch= is in KB, 0 to 16384");
      c.fs.lookup_first_bytes = n << 10;
    } else if (name == "upload_slots") {
      if (!ParseUint(value, &n) || n < 1 || n > 1024) return fail("upload_slots= is 1 to 1024");
      c.fs.upload_slots = static_cast<int>(n);
    } else if (name == "abort_stale_uploads") {
      if (value == "off") {
        c.stale_upload_grace.reset();
      } else if (!ParseUint(value, &n) || n > 24 * 365) {
        return fail("abort_stale_uploads= is a number of hours, or off");
      } else {
        c.stale_upload_grace = std::chrono::hours(n);
      }
    } else if (name == "max_dirty_data") {
      if (value == "-1") {
        c.fs.max_dirty_data = 0;
      } else if (!ParseUint(value, &n) || n < 50 || n > (1ULL << 24)) {
        return fail("max_dirty_data= is in MB, 50 or more (or -1: no limit)");
      } else {
        c.fs.max_dirty_data = n << 20;
      }
    } else if (name == "use_sse") {
      c.sse_spec = has_value ? value : "1";
    } else if (name == "storage_class") {
      if (!need_value()) return fail("storage_class= needs a class name");
      // s3fs-fuse accepts lower case (standard_ia); S3 wants upper case.
      std::string cls = value;
      for (char& ch : cls) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (!s3::IsKnownStorageClass(cls)) {
        return fail("storage_class=" + value +
                    " is not an S3 storage class (STANDARD, "
                    "STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, "
                    "DEEP_ARCHIVE, REDUCED_REDUNDANCY)");
      }
      c.fs.write_defaults.storage_class = cls;
    } else if (name == "use_xattr") {
      // user.* xattrs are always stored in s3fs-fuse's x-amz-meta-xattr format.
    } else if (name == "retries") {
      if (!ParseUint(value, &n) || n > 100) return fail("retries= is 0 to 100");
      c.conn.retries = static_cast<int>(n);
    } else if (name == "connect_timeout") {
      if (!ParseUint(value, &n) || n < 1) return fail("connect_timeout= needs seconds");
      c.conn.connect_timeout_s = static_cast<long>(n);
    } else if (name == "readwrite_timeout") {
      if (!ParseUint(value, &n) || n < 1) return fail("readwrite_timeout= needs seconds");
      c.conn.readwrite_timeout_s = static_cast<long>(n);
    } else if (name == "max_requests_per_sec" || name == "max_concurrent_requests") {
      if (!ParseUint(value, &n) || n > 1000000) return fail(name + "= is a count (0 = no limit)");
      (name == "max_requests_per_sec" ? c.conn.max_requests_per_sec
                                      : c.conn.max_concurrent_requests) = n;
    } else if (name == "max_upload_bps" || name == "max_download_bps") {
      if (value == "0") {
        n = 0;
      } else if (!str::ParseSize(value, &n)) {
        return fail(name + "= is bytes per second, with K, M or G (0 = no limit)");
      }
      (name == "max_upload_bps" ? c.conn.max_upload_bps : c.conn.max_download_bps) = n;
    } else if (name == "adaptive_slowdown") {
      if (value != "0" && value != "1") return fail("adaptive_slowdown= is 0 or 1");
      c.conn.adaptive_slowdown = value == "1";
    } else if (name == "rate_limit_per_bucket") {
      c.conn.rate_limit_per_bucket = true;
    } else if (name == "requester_pays") {
      c.conn.requester_pays = true;
    } else if (name == "iam_role") {
      // s3fs-fuse: a bare iam_role (or iam_role=auto) uses the role attached to the instance.
      c.conn.iam_role = has_value && !value.empty() ? value : "auto";
    } else if (name == "imdsv1only") {
      c.conn.imds_v1_only = true;
    } else if (name == "ecs") {
      c.conn.ecs = true;
    } else if (name == "ibm_iam_auth") {
      return fail(name +
                  " is not supported: give credentials with passwd_file=, the "
                  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment or profile=");
    } else if (name == "profile") {
      if (!need_value()) return fail("profile= needs a name");
      c.conn.profile = value;
    } else if (name == "public_bucket") {
      c.conn.anonymous = value.empty() || value == "1";
    } else if (name == "ssl_verify_hostname") {
      c.conn.verify_tls = value != "0";
    } else if (name == "no_check_certificate") {
      // s3fs-fuse's meaning: do not check the server certificate.
      c.conn.verify_tls = false;
      c.warnings.push_back("no_check_certificate: TLS certificates are not verified (unsafe)");
    } else if (name == "ca_file" || name == "cafile") {
      c.conn.ca_file = value;
    } else if (name == "dbglevel") {
      static const std::set<std::string> kLevels = {
          "crit", "critical", "err", "error", "warn", "warning", "info", "debug", "dbg", "trace"};
      if (!kLevels.count(value)) return fail("dbglevel= is crit, err, warn, info or debug");
      c.log_level = value;
    } else if (name == "logfile") {
      if (!need_value()) return fail("logfile= needs a path");
      c.logfile = value;
    } else if (name == "curldbg") {
      c.conn.curl_debug = true;
    } else if (name == "read_parallel") {
      if (!ParseUint(value, &n) || n < 1 || n > 64) return fail("read_parallel= is 1 to 64");
      c.fs.read_parts_ahead = static_cast<int>(n);
    } else if (name == "read_ahead_memory") {
      if (!ParseUint(value, &n) || n < 8 || n > 65536) {
        return fail("read_ahead_memory= is MB, 8 to 65536");
      }
      c.fs.read_ahead_memory = n << 20;
    } else if (name == "read_part_size") {
      if (!ParseUint(value, &n) || n < 1 || n > 256) return fail("read_part_size= is MB, 1 to 256");
      c.fs.read_part_size = n << 20;
    } else if (name == "list_s3_xattrs") {
      c.fs.list_s3_xattrs = true;
    } else if (name == "presign_expires") {
      if (!ParseUint(value, &n) || n < 1 || n > 604800) {
        return fail("presign_expires= is seconds, 1 to 604800 (7 days)");
      }
      c.fs.presign_expires = std::chrono::seconds(n);
    } else if (name == "list_attrs_only") {
      c.fs.list_attrs_only = true;
    } else if (name == "head_concurrency") {
      if (!ParseUint(value, &n) || n < 1 || n > 1024) return fail("head_concurrency= is 1 to 1024");
      c.head_concurrency = static_cast<int>(n);
    } else if (name == "metrics_port") {
      if (!ParseUint(value, &n) || n < 1 || n > 65535) return fail("metrics_port= is 1 to 65535");
      c.metrics_port = static_cast<int>(n);
    } else if (name == "metrics_file") {
      if (value.empty() || value.front() != '/') {
        return fail("metrics_file= needs an absolute path");
      }
      c.metrics_file = value;
    } else if (name == "metrics_interval") {
      if (!ParseUint(value, &n) || n < 1 || n > 86400) {
        return fail("metrics_interval= is seconds, 1 to 86400");
      }
      c.metrics_interval = std::chrono::seconds(n);
    } else if (name == "fsname" || name == "subtype" || name == "max_read" || name == "blkdev" ||
               name == "blksize") {
      c.fuse_options.push_back(raw);
    } else if (name == "sync") {
      c.warnings.push_back("sync: every close() is already durable in S3");
    } else {
      return fail("unknown option '" + name + "' (see s3fs --help)");
    }
  }

  std::string bucket_arg;
  if (!bucket_opt.empty()) {
    if (positional.size() != 1) return fail("with -o bucket=, give only the mount point");
    bucket_arg = bucket_opt;
    c.mountpoint = positional[0];
  } else {
    if (positional.size() < 2) return fail("missing BUCKET and/or MOUNTPOINT (see s3fs --help)");
    if (positional.size() > 2) return fail("unexpected argument '" + positional[2] + "'");
    bucket_arg = positional[0];
    c.mountpoint = positional[1];
  }
  size_t colon = bucket_arg.find(':');
  c.bucket = bucket_arg.substr(0, colon);
  if (colon != std::string::npos) {
    std::string p = bucket_arg.substr(colon + 1);
    while (!p.empty() && p.front() == '/') p.erase(0, 1);
    while (!p.empty() && p.back() == '/') p.pop_back();
    if (!p.empty()) c.prefix = p + "/";
  }
  if (c.bucket.empty()) return fail("empty bucket name");
  if (!c.tmpdir.empty() && !c.use_cache_given) c.fs.staging_dir = c.tmpdir;
  c.fs.prefix = c.prefix;
  c.conn.bucket = c.bucket;
  bool has_fsname = false;
  for (const auto& o : c.fuse_options) has_fsname = has_fsname || str::StartsWith(o, "fsname=");
  if (!has_fsname) c.fuse_options.push_back("fsname=s3fs:" + c.bucket);
  c.fuse_options.push_back("subtype=s3fs");
  // The kernel checks permissions against the modes we show (as for any local filesystem).
  c.fuse_options.push_back("default_permissions");
  return c;
}

}  // namespace s3fs::cli
