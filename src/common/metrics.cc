// Metrics registry and Prometheus text rendering; see the header for the contract.
#include "s3fs/common/metrics.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <type_traits>

namespace s3fs::metrics {
namespace {

constexpr std::array<double, 16> kLatency = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,   0.5,   1,      2.5,   5,    10,    30,   60};

uint64_t HashValues(std::span<const std::string_view> values, size_t n) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (size_t i = 0; i < n; ++i) {
    std::string_view v = i < values.size() ? values[i] : std::string_view();
    for (unsigned char c : v) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator: ("ab","") differs from ("a","b")
    h *= 1099511628211ULL;
  }
  return h;
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `name{a="x",b="y"` plus, when given, `,extra_name="extra_value"`, then `}` (nothing when
// there are no labels at all).
void AppendSeriesName(std::string* out, std::string_view name, std::string_view suffix,
                      const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out->append(name);
  out->append(suffix);
  if (names.empty() && extra_name.empty()) return;
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out->push_back(',');
    first = false;
    out->append(names[i]);
    out->append("=\"");
    out->append(EscapeLabelValue(i < values.size() ? values[i] : std::string()));
    out->push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out->push_back(',');
    out->append(extra_name);
    out->append("=\"");
    out->append(extra_value);
    out->push_back('"');
  }
  out->push_back('}');
}

void AppendSample(std::string* out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& names, const std::vector<std::string>& values,
                  const std::string& value, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  AppendSeriesName(out, name, suffix, names, values, extra_name, extra_value);
  out->push_back(' ');
  out->append(value);
  out->push_back('\n');
}

}  // namespace

std::span<const double> LatencyBuckets() { return kLatency; }

std::string EscapeHelp(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeLabelValue(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// ---- Histogram ----

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  const size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) n += bucket(i);
  return n;
}

// ---- FamilyBase ----

FamilyBase::FamilyBase(std::string name, std::string help, Type type,
                       std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)) {}

void FamilyBase::Render(std::string* out) const {
  out->append("# HELP ");
  out->append(name_);
  out->push_back(' ');
  out->append(EscapeHelp(help_));
  out->append("\n# TYPE ");
  out->append(name_);
  out->push_back(' ');
  out->append(TypeName(type_));
  out->push_back('\n');
  RenderSeries(out);
}

// ---- Family<M> ----

template <typename M>
struct Family<M>::Series {
  template <typename... Args>
  Series(uint64_t h, std::vector<std::string> v, Args&&... args)
      : hash(h), values(std::move(v)), metric(std::forward<Args>(args)...) {}
  uint64_t hash;
  std::vector<std::string> values;
  M metric;
};

template <typename M>
Family<M>::Family(std::string name, std::string help, Type type, std::vector<std::string> labels,
                  std::vector<double> bounds)
    : FamilyBase(std::move(name), std::move(help), type, std::move(labels)),
      bounds_(std::move(bounds)) {}

template <typename M>
Family<M>::~Family() = default;

template <typename M>
typename Family<M>::Series* Family<M>::Find(uint64_t hash, std::span<const std::string_view> values,
                                            size_t from, size_t to) const {
  const size_t n = label_names().size();
  for (size_t i = from; i < to; ++i) {
    Series* s = slots_[i].load(std::memory_order_acquire);
    if (s->hash != hash) continue;
    bool same = true;
    for (size_t j = 0; j < n && same; ++j) {
      std::string_view v = j < values.size() ? values[j] : std::string_view();
      same = s->values[j] == v;
    }
    if (same) return s;
  }
  return nullptr;
}

template <typename M>
M& Family<M>::With(std::initializer_list<std::string_view> values) {
  return Get(std::span<const std::string_view>(values.begin(), values.size()));
}

template <typename M>
M& Family<M>::Get(std::span<const std::string_view> values) {
  assert(values.size() == label_names().size());
  const size_t n = label_names().size();
  const uint64_t hash = HashValues(values, n);
  size_t seen = count_.load(std::memory_order_acquire);
  if (Series* s = Find(hash, values, 0, seen)) return s->metric;
  std::lock_guard lock(mu_);
  const size_t now = count_.load(std::memory_order_relaxed);
  if (Series* s = Find(hash, values, seen, now)) return s->metric;
  auto make = [&](uint64_t h, std::vector<std::string> v) {
    if constexpr (std::is_same_v<M, Histogram>) {
      return std::make_unique<Series>(h, std::move(v), std::span<const double>(bounds_));
    } else {
      return std::make_unique<Series>(h, std::move(v));
    }
  };
  if (now >= kMaxSeries) {
    if (!overflow_) {
      overflow_ = make(0, std::vector<std::string>(n, "_overflow"));
      overflow_used_.store(overflow_.get(), std::memory_order_release);
    }
    return overflow_->metric;
  }
  std::vector<std::string> copy;
  copy.reserve(n);
  for (size_t j = 0; j < n; ++j) copy.emplace_back(j < values.size() ? values[j] : "");
  owned_.push_back(make(hash, std::move(copy)));
  slots_[now].store(owned_.back().get(), std::memory_order_release);
  count_.store(now + 1, std::memory_order_release);
  return owned_.back()->metric;
}

template <typename M>
void Family<M>::RenderSeries(std::string* out) const {
  const size_t n = count_.load(std::memory_order_acquire);
  auto render_one = [&](const Series& s) {
    if constexpr (std::is_same_v<M, Histogram>) {
      const Histogram& h = s.metric;
      uint64_t cumulative = 0;
      for (size_t b = 0; b <= h.bounds().size(); ++b) {
        cumulative += h.bucket(b);
        std::string le = b < h.bounds().size() ? FormatValue(h.bounds()[b]) : "+Inf";
        AppendSample(out, name(), "_bucket", label_names(), s.values, std::to_string(cumulative),
                     "le", le);
      }
      AppendSample(out, name(), "_sum", label_names(), s.values, FormatValue(h.sum()));
      AppendSample(out, name(), "_count", label_names(), s.values, std::to_string(cumulative));
    } else {
      AppendSample(out, name(), "", label_names(), s.values, std::to_string(s.metric.value()));
    }
  };
  for (size_t i = 0; i < n; ++i) render_one(*slots_[i].load(std::memory_order_acquire));
  if (const Series* o = overflow_used_.load(std::memory_order_acquire)) render_one(*o);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- CallbackFamily ----

CallbackFamily::CallbackFamily(std::string name, std::string help, Type type,
                               std::vector<std::string> labels)
    : FamilyBase(std::move(name), std::move(help), type, std::move(labels)) {}

void CallbackFamily::Add(std::initializer_list<std::string_view> values, Fn fn) {
  assert(values.size() == label_names().size());
  std::vector<std::string> v(values.begin(), values.end());
  v.resize(label_names().size());
  std::lock_guard lock(mu_);
  for (auto& [existing, old] : series_) {
    if (existing == v) {
      old = std::move(fn);  // the newer source replaces the older one: no duplicate series
      return;
    }
  }
  series_.emplace_back(std::move(v), std::move(fn));
}

void CallbackFamily::RenderSeries(std::string* out) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, fn] : series_) {
    std::optional<double> v = fn();
    if (!v) continue;
    AppendSample(out, name(), "", label_names(), values, FormatValue(*v));
  }
}

// ---- Registry ----

template <typename F, typename... Extra>
F& Registry::Add(std::string name, std::string help, Type type, std::vector<std::string> labels,
                 Extra&&... extra) {
  std::lock_guard lock(mu_);
  for (auto& f : families_) {
    if (f->name() != name) continue;
    auto* same = dynamic_cast<F*>(f.get());
    if (same != nullptr && f->type() == type && f->label_names() == labels) return *same;
    assert(false && "metric family registered twice with different types or labels");
    auto apart = std::make_unique<F>(std::move(name), std::move(help), type, std::move(labels),
                                     std::forward<Extra>(extra)...);
    F& ref = *apart;
    conflicting_.push_back(std::move(apart));
    return ref;
  }
  auto f = std::make_unique<F>(std::move(name), std::move(help), type, std::move(labels),
                               std::forward<Extra>(extra)...);
  F& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

CounterFamily& Registry::AddCounter(std::string name, std::string help,
                                    std::vector<std::string> labels) {
  return Add<CounterFamily>(std::move(name), std::move(help), Type::kCounter, std::move(labels));
}

GaugeFamily& Registry::AddGauge(std::string name, std::string help,
                                std::vector<std::string> labels) {
  return Add<GaugeFamily>(std::move(name), std::move(help), Type::kGauge, std::move(labels));
}

HistogramFamily& Registry::AddHistogram(std::string name, std::string help,
                                        std::vector<std::string> labels,
                                        std::span<const double> bounds) {
  std::vector<double> sorted(bounds.begin(), bounds.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return Add<HistogramFamily>(std::move(name), std::move(help), Type::kHistogram, std::move(labels),
                              std::move(sorted));
}

CallbackFamily& Registry::AddCallback(std::string name, std::string help, Type type,
                                      std::vector<std::string> labels) {
  assert(type != Type::kHistogram);
  return Add<CallbackFamily>(std::move(name), std::move(help), type, std::move(labels));
}

std::string Registry::Render() const {
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard lock(mu_);
    families.reserve(families_.size());
    for (const auto& f : families_) families.push_back(f.get());
  }
  std::string out;
  for (const FamilyBase* f : families) f->Render(&out);
  return out;
}

}  // namespace s3fs::metrics
