"""The repository carries its own documentation: nothing points outside it, and every domain citation resolves.

Code and docs cite the domain document as ``docs/DOMAIN.md`` plus a section sign and number; a
section sign anywhere in the tree means a section of that file (its introduction says so). These
tests read every tracked text file (``git ls-files``), so a new file is covered without listing it.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOMAIN = REPO / "docs" / "DOMAIN.md"
SECTION_SIGN = "\u00a7"

# Built from pieces so that this file does not trip its own check.
FORBIDDEN = {
    "the team's brief outside the repository": re.compile(re.escape("DESIGN" + ".md")),
    "the team's notes outside the repository": re.compile(r"\b(?:PLATFORM" + r"-NOTES|STY" + r"LE\.md)\b"),
    "a shared folder beside the checkout": re.compile(re.escape(".." + "/shared")),
    "an absolute path of the build machine": re.compile(r"(?:^|[\s\"'`(=:,\[<])" + re.escape("/" + "work" + "/")),
}
# "§4.1", "§ 2" (the number may not end in a dot: "see §3." cites section 3).
CITATION = re.compile(SECTION_SIGN + r"\s*([0-9]+(?:\.[0-9]+)*)")
# docs/DOMAIN.md §2, "Violation categories and sanctions": a citation that also names the heading.
NAMED_CITATION = re.compile(r"DOMAIN\.md\s*" + SECTION_SIGN + r"\s*([0-9]+(?:\.[0-9]+)*)\s*,\s*\"([^\"]+)\"")
HEADING = re.compile(r"^(#{2,3})\s+([0-9]+(?:\.[0-9]+)*)\.?\s+(.+?)\s*$", re.MULTILINE)
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")

REQUIRED_HEADINGS = {
    "1": "Who uses it",
    "2": "The process",
    "2.4": "Deadlines and time zones",
    "3": "Identifiers",
    "4": "The sources",
    "4.1": "Bawaslu case API",
    "4.2": "Recommendation exports",
    "4.3": "BKD personnel databases",
    "4.4": "Alert contacts",
    "5": "What Pantau produces",
    "6": "Layout",
}


@cache
def tracked_text_files() -> dict[str, str]:
    """Every tracked file that exists in the work tree and is text (no NUL byte), by repository path."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    files: dict[str, str] = {}
    for name in listing.decode("utf-8").split("\0"):
        path = REPO / name
        if not name or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        files[name] = data.decode("utf-8", errors="replace")
    return files


def headings(text: str) -> dict[str, str]:
    """Numbered ``##``/``###`` headings of a Markdown text: number -> title."""
    return {m[2]: m[3] for m in HEADING.finditer(text)}


def broken_citations(name: str, text: str, sections: dict[str, str]) -> list[str]:
    """Citations in ``text`` that name a missing section, or a heading that is not in that section."""
    problems = []
    for match in CITATION.finditer(text):
        if match[1] not in sections:
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{name}:{line}: {SECTION_SIGN}{match[1]} is not a section of docs/DOMAIN.md")
    for match in NAMED_CITATION.finditer(text):
        number, title = match[1], match[2]
        inside = [t for n, t in sections.items() if n == number or n.startswith(number + ".")]
        if number in sections and title not in inside:
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{name}:{line}: {SECTION_SIGN}{number} has no heading {title!r}")
    return problems


def test_tracked_files_are_read() -> None:
    files = tracked_text_files()
    assert "README.md" in files and "include/pantau/reasons.py" in files


@pytest.mark.parametrize("what", sorted(FORBIDDEN))
def test_nothing_points_outside_the_repository(what: str) -> None:
    pattern = FORBIDDEN[what]
    hits = [f"{name}:{text.count(chr(10), 0, m.start()) + 1}"
            for name, text in tracked_text_files().items() for m in pattern.finditer(text)]
    assert not hits, f"{what} is mentioned in: {', '.join(hits)}"


def test_forbidden_patterns_catch_what_they_should() -> None:
    outside = ["read " + "DESIGN" + ".md first", "cp .." + "/shared/seeds .", 'path = "/' + 'work/main/x"',
               "cd /" + "work/wt-docs", "as checked (PLATFORM" + "-NOTES)", "see STY" + "LE.md"]
    inside = ["docs/DOMAIN.md", "the framework/ folder", "homework/notes", "DESIGNS.md"]
    assert all(any(p.search(t) for p in FORBIDDEN.values()) for t in outside)
    assert not any(p.search(t) for p in FORBIDDEN.values() for t in inside)


def test_domain_document_has_the_cited_structure() -> None:
    assert DOMAIN.is_file(), "docs/DOMAIN.md is cited throughout the code but missing"
    text = DOMAIN.read_text(encoding="utf-8")
    sections = headings(text)
    for number, title in REQUIRED_HEADINGS.items():
        assert sections.get(number) == title, f"docs/DOMAIN.md needs the heading {number} {title!r}"
    top = [m[2] for m in HEADING.finditer(text) if m[1] == "##"]
    assert top == ["1", "2", "3", "4", "5", "6"], f"top-level sections must be 1-6 in order, found {top}"
    subsections = [n for n in sections if "." in n]
    assert all(n.split(".")[0] in top for n in subsections)


def test_every_domain_citation_names_an_existing_section() -> None:
    assert DOMAIN.is_file(), "docs/DOMAIN.md is cited throughout the code but missing"
    sections = headings(DOMAIN.read_text(encoding="utf-8"))
    files = tracked_text_files()
    cited = sum(len(CITATION.findall(text)) for text in files.values())
    assert cited >= 20, f"expected the tree's domain citations, found only {cited}: is the pattern broken?"
    problems = [p for name, text in sorted(files.items()) for p in broken_citations(name, text, sections)]
    assert not problems, "\n".join(problems)


def test_citation_check_catches_what_it_should() -> None:
    sections = {"2": "The process", "2.5": "Violation categories and sanctions", "4": "The sources"}
    text = ("ok docs/DOMAIN.md " + SECTION_SIGN + "2.5 and " + SECTION_SIGN + "4.\n"
            "bad docs/DOMAIN.md " + SECTION_SIGN + "4.9\n"
            'named docs/DOMAIN.md ' + SECTION_SIGN + '2, "Violation categories and sanctions"\n'
            'wrong docs/DOMAIN.md ' + SECTION_SIGN + '4, "Violation categories and sanctions"\n')
    problems = broken_citations("x.py", text, sections)
    assert problems == [f"x.py:2: {SECTION_SIGN}4.9 is not a section of docs/DOMAIN.md",
                        f"x.py:4: {SECTION_SIGN}4 has no heading 'Violation categories and sanctions'"]


def test_relative_markdown_links_resolve() -> None:
    files = tracked_text_files()
    broken = []
    for name, text in files.items():
        if not name.endswith(".md"):
            continue
        for match in MARKDOWN_LINK.finditer(text):
            target = match[1].split("#", 1)[0]
            if not target or re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue  # an anchor in the same file, or a URL
            resolved = (REPO / name).parent / target
            if not resolved.exists():
                broken.append(f"{name}: {match[1]}")
    assert not broken, "links to missing files: " + ", ".join(broken)


def test_readme_and_decisions_link_the_domain_document() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    assert "](docs/DOMAIN.md)" in layout, "README's Layout section must link docs/DOMAIN.md"
    decisions = (REPO / "docs" / "DECISIONS.md").read_text(encoding="utf-8")
    first_paragraph = next(p for p in decisions.split("\n\n") if p.strip() and not p.startswith("#"))
    assert "](DOMAIN.md)" in first_paragraph, "docs/DECISIONS.md must open with a link to DOMAIN.md"
