#!/usr/bin/env python3
"""Prometheus text format (0.0.4) checker and query for the metrics e2e test.

  prom.py check FILE                 exit 0 if FILE is valid exposition text, else print why
  prom.py sum FILE NAME [L=V ...]    print the sum of NAME's samples whose labels match

Checks: line syntax (metric and label names, label value escapes, float values), at most one
HELP and TYPE per family and TYPE before its samples, a family's samples contiguous, no
duplicate series, counters not negative, histograms with an `le` on every bucket, buckets
cumulative and ending in +Inf equal to _count, and a _sum per series.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
SAMPLE = re.compile(r"^(" + NAME + r")(\{(.*)\})?[ \t]+(\S+)([ \t]+-?\d+)?$")
LABEL_PAIR = re.compile(r'\s*(' + LABEL + r')="((?:[^"\\\n]|\\\\|\\"|\\n)*)"\s*(,|$)')


def parse_value(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    return float(text)


def parse_labels(body):
    labels = {}
    pos = 0
    while pos < len(body):
        m = LABEL_PAIR.match(body, pos)
        if not m or m.end() == pos:
            raise ValueError("bad label syntax at %r" % body[pos:])
        name, value = m.group(1), m.group(2)
        if name in labels:
            raise ValueError("label %s repeated" % name)
        labels[name] = value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        pos = m.end()
    return labels


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return name


def parse(path):
    """Returns (samples, types, errors); samples are (name, labels dict, value)."""
    samples, types, helps, errors = [], {}, set(), []
    finished, current = set(), None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        errors.append("the text does not end with a newline")
    for no, line in enumerate(lines, 1):
        where = "line %d" % no
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 3 or not re.fullmatch(NAME, parts[2]):
                    errors.append("%s: %s without a valid metric name" % (where, parts[1]))
                    continue
                name = parts[2]
                if parts[1] == "HELP":
                    if name in helps:
                        errors.append("%s: second HELP for %s" % (where, name))
                    helps.add(name)
                    text = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]", text.replace("\\\\", "")):
                        errors.append("%s: bad escape in HELP of %s" % (where, name))
                else:
                    kind = parts[3] if len(parts) > 3 else ""
                    if kind not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        errors.append("%s: unknown TYPE %r" % (where, kind))
                    if name in types:
                        errors.append("%s: second TYPE for %s" % (where, name))
                    if any(family_of(s[0], types) == name for s in samples):
                        errors.append("%s: TYPE of %s after its samples" % (where, name))
                    types[name] = kind
            continue
        if not line.strip():
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append("%s: not a sample: %r" % (where, line))
            continue
        name, body, value = m.group(1), m.group(3) or "", m.group(4)
        try:
            labels = parse_labels(body)
            v = parse_value(value)
        except ValueError as e:
            errors.append("%s: %s" % (where, e))
            continue
        fam = family_of(name, types)
        if fam != current:
            if fam in finished:
                errors.append("%s: samples of %s are not together" % (where, fam))
            if current is not None:
                finished.add(current)
            current = fam
        if types.get(fam) == "counter" and v < 0:
            errors.append("%s: counter %s is negative" % (where, name))
        samples.append((name, labels, v))
    seen = set()
    for name, labels, _ in samples:
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            errors.append("duplicate series %s%s" % (name, labels))
        seen.add(key)
    errors.extend(check_histograms(samples, types))
    return samples, types, errors


def check_histograms(samples, types):
    errors = []
    for fam, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for name, labels, v in samples:
            if name not in (fam + "_bucket", fam + "_sum", fam + "_count"):
                continue
            rest = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
            s = series.setdefault(rest, {"buckets": [], "sum": None, "count": None})
            if name.endswith("_bucket"):
                if "le" not in labels:
                    errors.append("%s bucket without le" % fam)
                    continue
                s["buckets"].append((parse_value(labels["le"]), v))
            elif name.endswith("_sum"):
                s["sum"] = v
            else:
                s["count"] = v
        for rest, s in series.items():
            b = s["buckets"]
            if not b or b[-1][0] != math.inf:
                errors.append("%s%s: no +Inf bucket last" % (fam, dict(rest)))
                continue
            if any(b[i][0] >= b[i + 1][0] for i in range(len(b) - 1)):
                errors.append("%s%s: le not ascending" % (fam, dict(rest)))
            if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
                errors.append("%s%s: buckets not cumulative" % (fam, dict(rest)))
            if s["count"] is None or s["sum"] is None:
                errors.append("%s%s: _count or _sum missing" % (fam, dict(rest)))
            elif s["count"] != b[-1][1]:
                errors.append("%s%s: _count %s != +Inf bucket %s" % (fam, dict(rest), s["count"],
                                                                     b[-1][1]))
    return errors


def main(argv):
    if len(argv) >= 3 and argv[1] == "check":
        samples, types, errors = parse(argv[2])
        for e in errors[:20]:
            print("invalid:", e)
        if errors:
            return 1
        if not samples:
            print("invalid: no samples")
            return 1
        print("ok: %d families, %d samples" % (len(types), len(samples)))
        return 0
    if len(argv) >= 4 and argv[1] == "sum":
        samples, _, errors = parse(argv[2])
        if errors:
            print("invalid: " + errors[0], file=sys.stderr)
            return 1
        want = dict(a.split("=", 1) for a in argv[4:])
        total = sum(v for n, l, v in samples
                    if n == argv[3] and all(l.get(k) == x for k, x in want.items()))
        print("%d" % total if total == int(total) else total)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
