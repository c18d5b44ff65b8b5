#include "s3fs/common/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>

#include <mutex>

namespace s3fs::log {
namespace {

std::mutex g_mu;
std::string g_file;  // current log file path, empty when not logging to a file

spdlog::level::level_enum ToSpd(Level l) {
  switch (l) {
    case Level::kTrace:
      return spdlog::level::trace;
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
    case Level::kCritical:
      return spdlog::level::critical;
    case Level::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

void Install(std::shared_ptr<spdlog::logger> logger) {
  auto level = spdlog::default_logger()->level();
  logger->set_level(level);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
  // Every line that passes the level is written at once: `tail -f` and tests see it, and a
  // crash loses none. Only the chosen level's lines are written, so the default (warn) costs
  // nothing on the data path.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

bool ParseLevel(const std::string& name, Level* out) {
  if (name == "trace")
    *out = Level::kTrace;
  else if (name == "debug" || name == "dbg")
    *out = Level::kDebug;
  else if (name == "info")
    *out = Level::kInfo;
  else if (name == "warn" || name == "warning")
    *out = Level::kWarn;
  else if (name == "err" || name == "error")
    *out = Level::kError;
  else if (name == "crit" || name == "critical")
    *out = Level::kCritical;
  else if (name == "off")
    *out = Level::kOff;
  else
    return false;
  return true;
}

void SetLevel(Level level) { spdlog::set_level(ToSpd(level)); }

Level GetLevel() {
  switch (spdlog::get_level()) {
    case spdlog::level::trace:
      return Level::kTrace;
    case spdlog::level::debug:
      return Level::kDebug;
    case spdlog::level::info:
      return Level::kInfo;
    case spdlog::level::warn:
      return Level::kWarn;
    case spdlog::level::err:
      return Level::kError;
    case spdlog::level::critical:
      return Level::kCritical;
    default:
      return Level::kOff;
  }
}

bool LogToFile(const std::string& path, std::string* error) {
  std::lock_guard lock(g_mu);
  try {
    Install(std::make_shared<spdlog::logger>(
        "s3fs", std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false)));
    g_file = path;
    return true;
  } catch (const spdlog::spdlog_ex& e) {
    if (error != nullptr) *error = e.what();
    return false;
  }
}

void Reopen() {
  std::lock_guard lock(g_mu);
  if (g_file.empty()) return;
  try {
    Install(std::make_shared<spdlog::logger>(
        "s3fs", std::make_shared<spdlog::sinks::basic_file_sink_mt>(g_file, false)));
  } catch (const spdlog::spdlog_ex&) {
    // Keep the old sink: losing the log is better than crashing the mount.
  }
}

void LogToStderr() {
  std::lock_guard lock(g_mu);
  Install(
      std::make_shared<spdlog::logger>("s3fs", std::make_shared<spdlog::sinks::stderr_sink_mt>()));
  g_file.clear();
}

void LogToSyslog(const std::string& ident) {
  std::lock_guard lock(g_mu);
  Install(std::make_shared<spdlog::logger>(
      "s3fs", std::make_shared<spdlog::sinks::syslog_sink_mt>(ident, 0, LOG_USER, false)));
  g_file.clear();
}

}  // namespace s3fs::log
