"""The documentation's links stay inside the repository and resolve.

Every Markdown file git tracks (README.md, docs/, bench/, tests/, ...) is
read; each relative link must name a file or directory that exists in
the repository, and a link with a #fragment into a Markdown file must
name one of its headings (GitHub's anchor rules). No link may leave the
repository (a newcomer who clones swerve has nothing outside it), and
README.md and docs/ may not even mention ../shared. Links inside code
blocks and inline code are not links. The checker is tested on a small
broken sample first, so this test can fail.
"""

import os
import re
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
# [text](target "title") and ![alt](target); the text may hold brackets.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:


def slug(text):
    """GitHub's anchor for a heading text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def scan(text):
    """(links as (line, target), anchors) of one Markdown text."""
    links, anchors, seen = [], set(), {}
    in_code = False
    for no, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        h = HEADING.match(line)
        if h:
            s = slug(h.group(2))
            n = seen.get(s, 0)
            seen[s] = n + 1
            anchors.add(s if n == 0 else "%s-%d" % (s, n))
        bare = INLINE_CODE.sub("", line)
        for m in INLINE_LINK.finditer(bare):
            links.append((no, m.group(1)))
        m = REF_DEF.match(bare)
        if m:
            links.append((no, m.group(1)))
    return links, anchors


def problems_of(root, files):
    """Every broken or outward link in files (paths relative to root)."""
    texts = {}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            texts[f] = fh.read()
    scanned = {f: scan(t) for f, t in texts.items()}
    out = []
    for f, (links, anchors) in scanned.items():
        here = os.path.dirname(f)
        for no, target in links:
            where = "%s:%d: %s" % (f, no, target)
            if "shared/docs" in target or target.startswith("../shared"):
                out.append(where + ": points at ../shared, outside the repository")
                continue
            if EXTERNAL.match(target) or target.startswith("//"):
                continue
            path, _, frag = target.partition("#")
            path = path.split("?", 1)[0]
            if path == "":
                if frag and frag not in anchors:
                    out.append(where + ": no heading #%s in this file" % frag)
                continue
            if path.startswith("/"):
                out.append(where + ": absolute path; use a relative link")
                continue
            dest = os.path.normpath(os.path.join(here, path))
            if dest == ".." or dest.startswith(".." + os.sep):
                out.append(where + ": leaves the repository")
                continue
            full = os.path.join(root, dest)
            if not os.path.exists(full):
                out.append(where + ": %s does not exist" % dest)
                continue
            if frag and dest.endswith(".md"):
                if dest not in scanned:
                    with open(full, encoding="utf-8") as fh:
                        scanned[dest] = scan(fh.read())
                if frag not in scanned[dest][1]:
                    out.append(where + ": %s has no heading #%s" % (dest, frag))
        if (f == "README.md" or f.startswith("docs/")) and "../shared" in texts[f]:
            out.append("%s: mentions ../shared, which a clone does not have" % f)
    return out


def markdown_files():
    p = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "*.md"],
                       capture_output=True, check=True)
    files = [f.decode() for f in p.stdout.split(b"\0") if f]
    # New docs not yet added to git count too.
    docs = os.path.join(REPO, "docs")
    if os.path.isdir(docs):
        for name in os.listdir(docs):
            if name.endswith(".md") and "docs/" + name not in files:
                files.append("docs/" + name)
    return sorted(f for f in files if os.path.exists(os.path.join(REPO, f)))


def test_checker_finds_broken_links(tmp_path):
    """The checker itself: each kind of bad link in a sample is caught."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text("# Title here\n\n## Second `part`\n")
    (tmp_path / "README.md").write_text(
        "# Top\n"
        "[ok](docs/b.md) [ok2](docs/b.md#second-part) [ok3](#top)\n"
        "[gone](docs/missing.md)\n"
        "[bad anchor](docs/b.md#nope)\n"
        "[self anchor](#nowhere)\n"
        "[out](../outside.md)\n"
        "[shared](../shared/docs/design.md)\n"
        "[web](https://example.com/x) `[code](not/a/link.md)`\n"
        "```\n[fenced](also/not/a/link.md)\n```\n")
    found = problems_of(str(tmp_path), ["README.md", "docs/b.md"])
    text = "\n".join(found)
    assert "docs/missing.md does not exist" in text
    assert "no heading #nope" in text
    assert "no heading #nowhere" in text
    assert "leaves the repository" in text
    assert "points at ../shared" in text
    assert "mentions ../shared" in text
    assert "not/a/link" not in text and "example.com" not in text
    assert len(found) == 6, text


def test_slugs_follow_github():
    assert slug("Classification - SMTP") == "classification---smtp"
    assert slug("POST /v1/messages/raw") == "post-v1messagesraw"
    assert slug("type: smtp") == "type-smtp"
    assert slug("SES API v2 `SendEmail` fields") == "ses-api-v2-sendemail-fields"


def test_docs_links_resolve_inside_the_repository():
    files = markdown_files()
    assert "README.md" in files
    found = problems_of(REPO, files)
    assert not found, "broken documentation links:\n" + "\n".join(found)


@pytest.mark.parametrize("page", [
    "architecture.md", "http-api.md", "drop-in.md", "providers.md",
    "operations.md",
])
def test_docs_pages_exist_and_readme_links_them(page):
    assert os.path.isfile(os.path.join(REPO, "docs", page))
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as fh:
        assert "(docs/%s)" % page in fh.read()


def test_every_config_key_is_documented():
    """Each key row of src/config/*.c is named in docs/configuration.md, so
    a new key cannot ship without its line in the reference."""
    src = os.path.join(REPO, "src", "config")
    keys = set()
    for name in os.listdir(src):
        if name.endswith(".c"):
            with open(os.path.join(src, name), encoding="utf-8") as fh:
                keys.update(re.findall(r'ROW\("([a-z0-9_]+)"', fh.read()))
    assert len(keys) > 50, "the key tables moved? found %d keys" % len(keys)
    with open(os.path.join(REPO, "docs", "configuration.md"), encoding="utf-8") as fh:
        doc = fh.read()
    missing = sorted(k for k in keys if not re.search(r"\b%s\b" % re.escape(k), doc))
    assert not missing, "keys missing from docs/configuration.md: %s" % missing
