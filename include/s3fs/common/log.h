// Logging: thin layer over spdlog. All project code logs through these macros, so the sink
// (stderr, file, syslog/journald) and level are set in one place (cli). Messages must never
// contain secrets: callers pass keys through Redact() helpers in their own layer.
#ifndef S3FS_COMMON_LOG_H_
#define S3FS_COMMON_LOG_H_

#include <spdlog/spdlog.h>

#include <string>

namespace s3fs::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// Parses s3fs-fuse dbglevel names (crit|critical, err|error, warn|warning, info, debug, trace)
// into a level. Returns false on an unknown name.
bool ParseLevel(const std::string& name, Level* out);
void SetLevel(Level level);
Level GetLevel();
// Sends logs to stderr (the programs' start-up default; never stdout, which carries data).
void LogToStderr();
// Sends logs to a file (append) instead of stderr. Returns false with `error` set on failure.
bool LogToFile(const std::string& path, std::string* error);
// Re-opens the log file (after rotation; SIGHUP).
void Reopen();
// Sends logs to syslog (used when daemonized without logfile).
void LogToSyslog(const std::string& ident);

}  // namespace s3fs::log

#define S3FS_LOG_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define S3FS_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define S3FS_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define S3FS_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define S3FS_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)

#endif  // S3FS_COMMON_LOG_H_
