#!/usr/bin/env python3
"""Checks that the docs render without broken links (no network).

Markdown (README.md, docs/*.md): every relative link target `[text](path#anchor)` exists, and
every `#anchor` (in the same file or another .md) matches a heading's GitHub-style slug. Paths
of the repository quoted in code spans (`docs/x.md`, `tests/e2e/y.sh`, ...) must exist too.
Man pages (man/*.1): the repository files they name (docs/..., tests/..., ...) exist.
Usage: check_links.py [REPO]   (default: the repository holding this script). Exit 1 on any
broken link, listing each as FILE:LINE: problem.
"""
import pathlib
import re
import sys

REPO = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else __file__).resolve()
if REPO.is_file():
    REPO = REPO.parents[2]
REPO_DIRS = ("docs", "tests", "scripts", "systemd", "bench", "src", "man", "include", ".ci")
PATH_RE = re.compile(r"(?<![\w/.-])((?:%s)/[\w./@-]*[\w])" % "|".join(re.escape(d) for d in REPO_DIRS))
LINK_RE = re.compile(r"(?<!\!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMG_RE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def slug(text):
    """GitHub's heading anchor: inline markup dropped, lower case, punctuation removed,
    spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w keeps letters, digits and underscores
    return text.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        seen, out, fence = {}, set(), False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("```"):
                fence = not fence
                continue
            m = None if fence else HEADING_RE.match(line)
            if not m:
                continue
            s = slug(m.group(2))
            n = seen.get(s, 0)
            out.add(s if n == 0 else "%s-%d" % (s, n))
            seen[s] = n + 1
        cache[path] = out
    return cache[path]


def strip_code(line):
    return re.sub(r"`[^`]*`", "", line)


def check_markdown(path, problems):
    fence = False
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = "%s:%d" % (path.relative_to(REPO), no)
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        if not fence:
            prose = strip_code(line)
            for target in LINK_RE.findall(prose) + IMG_RE.findall(prose):
                check_target(path, target, where, problems)
        for code in (re.findall(r"`([^`]*)`", line) if not fence else [line]):
            for ref in PATH_RE.findall(code):
                check_repo_path(ref, where, problems)


def check_target(path, target, where, problems):
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
        return
    file_part, _, anchor = target.partition("#")
    dest = (path.parent / file_part).resolve() if file_part else path
    if not dest.exists():
        problems.append("%s: link target %s does not exist" % (where, target))
        return
    if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
        problems.append("%s: no heading for #%s in %s" % (where, anchor, dest.relative_to(REPO)))


def check_repo_path(ref, where, problems):
    ref = ref.rstrip(".")
    if any(c in ref for c in "*{}") or re.search(r"[A-Z]{3,}", ref.split("/")[-1]):
        return  # a glob or a placeholder (docs/NAME.md), not a file
    if not (REPO / ref).exists():
        problems.append("%s: %s does not exist in the repository" % (where, ref))


def check_man(path, problems):
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.replace("\\-", "-").replace("\\fI", "").replace("\\fB", "").replace("\\fR", "")
        for ref in PATH_RE.findall(text):
            check_repo_path(ref, "%s:%d" % (path.relative_to(REPO), no), problems)


def main():
    problems = []
    pages = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))
    for page in pages:
        check_markdown(page, problems)
    for page in sorted((REPO / "man").glob("*.[1-8]")):
        check_man(page, problems)
    for p in problems:
        print(p)
    print("%d pages, %d broken links" % (len(pages) + len(list((REPO / "man").glob("*.[1-8]"))),
                                         len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
