"""Every citation of the platform's behaviour leads to a section of ``docs/platform.md``.

Code and docs cite the platform as ``platform.md §2.10`` (several: ``platform.md §2.2, §3.4``).
The documents the project was first written from are not in the repository, so a citation in
their old form (``contract 2.10``, ``C-WBH BR-012``, ``platform-contract.md``) leads nowhere and
is refused; ``docs/platform.md`` itself may name the sources' rule ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "platform.md"
THIS = Path(__file__).resolve()
SCANNED = ("receiver", "templates", "examples", "bench", "scripts", "tests", "docs", "README.md")
SKIPPED_DIRS = frozenset(
    {"__pycache__", ".venv", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache", "node_modules"}
)

HEADING = re.compile(r"^#{1,6}[ \t]+(\d+(?:\.\d+)*)\.?[ \t]", re.MULTILINE)
# "platform.md" then one or more "§N(.N)*", separated by commas, semicolons, dashes or "and".
CITATION = re.compile(r"platform\.md((?:[ \t]*(?:[,;\u2013-]|and)?[ \t]*§\d+(?:\.\d+)*)+)")
SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
OLD_CITATION = re.compile(
    r"\b[Cc]ontract(?:[ \t]+|[ \t]*\n[ \t]*(?:#|//|\*)?[ \t]*)(?:sections?[ \t]+)?\d+(?:\.\d+)*"
    r"|\bBR-\d+"
    r"|\b[Pp]latform[- ]contract"
    r"|\bC-(?:WBH|ORD|LINE|VAL|PRE|ACC|PRD|INT)\b"
)


def text_files() -> Iterator[tuple[Path, str]]:
    """Every text file of the scanned folders (and README.md), this test itself left out."""
    for name in SCANNED:
        top = ROOT / name
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in paths:
            if not path.is_file() or path.resolve() == THIS:
                continue
            if SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # not text
            if "\0" not in text:
                yield path, text


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def doc_sections() -> set[str]:
    return set(HEADING.findall(DOC.read_text(encoding="utf-8")))


def cited_sections(text: str) -> Iterator[tuple[int, str]]:
    """(offset, section number) of every ``platform.md §N`` citation in ``text``."""
    for match in CITATION.finditer(text):
        for section in SECTION.finditer(match.group(1)):
            yield match.start(1) + section.start(), section.group(1)


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        pytest.param("(platform.md §2.10)", ["2.10"], id="one"),
        pytest.param("(platform.md §1, §2.1, §3.4)", ["1", "2.1", "3.4"], id="list"),
        pytest.param("platform.md §4.4 and §5 (and §2.8)", ["4.4", "5"], id="and"),
        pytest.param("platform.md §3.2; §3.3 (e)", ["3.2", "3.3"], id="semicolon"),
        pytest.param("[docs/platform.md §2.6](docs/platform.md)", ["2.6"], id="markdown-link"),
        pytest.param("see platform.md for the rest", [], id="no-section"),
    ],
)
def test_citations_are_read_with_every_section_they_name(text: str, sections: list[str]) -> None:
    assert [section for _, section in cited_sections(text)] == sections


@pytest.mark.parametrize(
    "text",
    [
        "(contract 2.10)",
        "Contract sections 4.4 and 5",
        "(contract 1, 2.1, 3.4)",
        "a flat object (contract\n    # 6)",
        "(C-WBH BR-012)",
        "the contract, BR-012",
        "(C-PRE 6.1)",
        "platform-contract.md 1.3",
    ],
)
def test_old_citations_are_recognised(text: str) -> None:
    assert OLD_CITATION.search(text)


@pytest.mark.parametrize(
    "text",
    ["Enter the membership id of the contract you are migrating.", "a 3-year contract", "BR-"],
)
def test_plain_words_are_not_old_citations(text: str) -> None:
    assert not OLD_CITATION.search(text)


def test_the_doc_numbers_each_section_once() -> None:
    numbers = HEADING.findall(DOC.read_text(encoding="utf-8"))
    repeated = sorted({number for number in numbers if numbers.count(number) > 1})
    assert numbers, "docs/platform.md has no numbered headings (## 2. The call, ### 2.10 ...)."
    assert not repeated, f"docs/platform.md numbers these sections twice: {repeated}"


def test_every_citation_names_a_section_of_the_doc() -> None:
    sections = doc_sections()
    missing = [
        f"{path.relative_to(ROOT)}:{line_of(text, offset)}: platform.md §{section}"
        for path, text in text_files()
        for offset, section in cited_sections(text)
        if section not in sections
    ]
    assert not missing, (
        "These citations name a section that docs/platform.md does not have; add the section"
        " (a heading such as '### 2.10 ...') or cite the right number:\n" + "\n".join(missing)
    )


def test_the_doc_refers_only_to_its_own_sections() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = doc_sections()
    missing = [
        f"docs/platform.md:{line_of(text, match.start())}: §{match.group(1)}"
        for match in SECTION.finditer(text)
        if match.group(1) not in sections
    ]
    assert not missing, (
        "docs/platform.md refers to sections it does not have (a source's own sections are"
        " written 'C-WBH section 5', not with §):\n" + "\n".join(missing)
    )


def test_no_citation_is_left_in_the_old_form() -> None:
    old = [
        f"{path.relative_to(ROOT)}:{line_of(text, match.start())}: {match.group(0)!r}"
        for path, text in text_files()
        if path.resolve() != DOC.resolve()
        for match in OLD_CITATION.finditer(text)
    ]
    assert not old, (
        "These cite documents that are not in the repository; cite the section of"
        " docs/platform.md that holds the fact instead, as 'platform.md §N.N':\n" + "\n".join(old)
    )
