"""`briefgen compose`: a brief for an audience and a use case, fitted to a budget of words or
PDF pages, built through the normal pipeline, and kept as a recipe that rebuilds it exactly.

The shipped project is used where real pages, real Chinese and real Word files matter; the
small scenario `compose-small` where exact choices and exact messages are the point.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import docx
from pypdf import PdfReader

from briefgen.model import CJK
from tests.conftest import REPO, SCENARIOS, copy_project, run_cli, tree_digest

THURSDAY = ("--audience", "government", "--use-case", "education", "--pages", "2")


def _words(stdout: str) -> int:
    found = re.search(r"^words: ([\d,]+)", stdout, re.MULTILINE)
    assert found, stdout
    return int(found.group(1).replace(",", ""))


def _chosen(stdout: str) -> dict[str, int]:
    """Block id -> words, from the lines under the section headings."""
    rows = re.findall(r"^    (\S+) +(\d+) words", stdout, re.MULTILINE)
    return {block_id: int(words) for block_id, words in rows}


def _body(markdown: str, references: str) -> str:
    """A Markdown brief's text between the metadata line and the references."""
    body = markdown.split(f"## {references}")[0]
    return "\n".join(line for line in body.splitlines()[5:] if not line.startswith("## "))


def test_the_thursday_example_fits_two_pages_as_pdf_and_word_and_its_recipe_rebuilds_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "composed"
    saved = tmp_path / "thursday.yaml"
    result = run_cli(
        "--project", REPO, "compose", *THURSDAY, "--format", "pdf,docx", "--out", out,
        "--save-recipe", saved,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    pdf, word = out / "en/thursday.pdf", out / "en/thursday.docx"
    pages = len(PdfReader(pdf).pages)
    assert pages <= 2
    assert f"pages: {pages} (counted on the PDF)" in result.stdout
    assert f"wrote {pdf}" in result.stdout and f"wrote {word}" in result.stdout
    headings = [p.text for p in docx.Document(str(word)).paragraphs if p.style.name == "Heading 2"]
    assert headings[0] == "Why this matters to the Chinese government"
    assert headings[-2:] == ["What we ask", "References"]
    chosen = _chosen(result.stdout)
    # Issue 22: the opening and the ask written for the government on education, and the
    # strongest documented case of the chapter as the key evidence.
    for block_id, part in [
        ("framing-government-education", "the opening"),
        ("edu-hangzhou-no11", "the key evidence"),
        ("rec-government-education", "what is asked"),
    ]:
        assert re.search(rf"^    {block_id} +\d+ words  required: {part}$", result.stdout, re.M)
    assert _words(result.stdout) == sum(chosen.values())
    assert "Left out (" in result.stdout
    assert run_cli("--project", REPO, "verify", out).exit_code == 0

    # The saved recipe, copied into briefs/, rebuilds the same files byte for byte.
    project = copy_project(REPO, tmp_path / "project")
    shutil.copy(saved, project / "briefs/thursday.yaml")
    built = run_cli(
        "--project", project, "build", "thursday", "--locale", "en", "--out", project / "build",
    )  # fmt: skip
    assert built.exit_code == 0, built.stderr
    for name in ("thursday.pdf", "thursday.docx"):
        assert (project / "build/en" / name).read_bytes() == (out / "en" / name).read_bytes()
    assert run_cli("--project", project, "check").exit_code == 0


def test_a_word_budget_is_filled_in_rank_order_and_never_exceeded(tmp_path: Path) -> None:
    result = run_cli(
        "--project", REPO, "compose", "--audience", "government", "--use-case", "education",
        "--words", "1000", "--format", "md", "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    words = _words(result.stdout)
    assert words <= 1000
    assert words == sum(_chosen(result.stdout).values())
    # Everything left out was tried and did not fit in what was left at its turn.
    reasons = re.findall(r"does not fit: (\d+) words, (\d+) left$", result.stdout, re.MULTILINE)
    assert reasons and all(int(need) > int(left) for need, left in reasons)
    assert (tmp_path / "en/government-education.md").is_file()
    assert "pages:" not in result.stdout  # no PDF asked for, none counted


def test_a_chinese_budget_counts_characters_at_1_7_to_a_word(tmp_path: Path) -> None:
    result = run_cli(
        "--project", REPO, "compose", "--audience", "government", "--use-case", "education",
        "--words", "1000", "--locale", "zh-Hans", "--format", "md", "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    found = re.search(
        r"^words: ([\d,]+) \(([\d,]+) Chinese characters, 1.7 to a word\)", result.stdout, re.M
    )
    assert found, result.stdout
    words, characters = (int(g.replace(",", "")) for g in found.groups())
    assert words <= 1000 and characters / 1.7 <= 1000
    markdown = (tmp_path / "zh-Hans/government-education.md").read_text()
    assert markdown.startswith("# 教育领域的情绪识别\n")
    assert "## 为何这与中国政府相关" in markdown and "## 我们的呼吁" in markdown
    # The characters a reader sees: the blocks' text, plus what citeproc adds: "等" (et al.),
    # and the Chinese names of Chinese issuers in in-text citations (data/zh-Hans/references.yaml).
    shown = len(CJK.findall(_body(markdown, "参考文献")))
    assert characters <= shown <= characters * 1.10

    small = run_cli(
        "--project", REPO, "compose", "--audience", "government", "--use-case", "education",
        "--words", "300", "--locale", "zh-Hans", "--out", tmp_path / "small",
    )  # fmt: skip
    assert small.exit_code == 1
    assert "; in zh-Hans, 1.7 characters count as one word); --words 300 is too small" in (
        small.stderr
    )


def test_a_page_budget_too_small_for_the_required_parts_names_the_minimum(tmp_path: Path) -> None:
    result = run_cli(
        "--project", REPO, "compose", "--audience", "government", "--use-case", "education",
        "--pages", "1", "--format", "pdf", "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "error: this brief needs at least 2 pages (the opening, the key evidence and what is "
        "asked); --pages 1 is too small: use --pages 2 or more.\n"
    )
    assert not any(tmp_path.iterdir())


def test_a_word_budget_too_small_names_the_minimum_and_writes_nothing(scenario) -> None:
    project = scenario("compose-small")
    result = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--words", "50",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "error: this brief needs at least 98 words (the opening, the key evidence and what is "
        "asked); --words 50 is too small: use --words 98 or more.\n"
    )
    assert not (project / "build").exists()


def test_required_parts_come_first_then_priority_and_relevance(scenario) -> None:
    project = scenario("compose-small")
    result = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--words", "200", "--format", "md",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    # The whole-report summary, the roads evidence, the internal note and the press's request
    # are no candidates. The required parts go in first, then the best block on the rights at
    # stake, then the rest by rank while it fits (the p3 "law" fits where "grades" does not);
    # each is placed in its part, the required block first, then in file order.
    assert result.stdout.split("words: ")[0] == (
        "Emotion recognition in schools (officials-schools, en)\n"
        "  Why this matters to education officials\n"
        "    framing-officials                           45 words  required: the opening\n"
        "    framing-schools                             27 words\n"
        "    summary-schools                             20 words\n"
        "  The evidence\n"
        "    cameras                                     40 words  required: the key evidence\n"
        "  What is at stake\n"
        "    privacy                                     28 words  first after them: the rights "
        "at stake\n"
        "  The legal framework\n"
        "    law                                         12 words\n"
        "  What we ask\n"
        "    rec-officials                               13 words  required: what is asked\n"
        "Left out (2 blocks, best-ranked first)\n"
        "    grades                                   finding p2: does not fit: 28 words, "
        "27 left\n"
        "    vendors                                  context p2: does not fit: 550 words, "
        "27 left\n"
    )
    assert "words: 185, the body without references\n" in result.stdout
    markdown = (project / "build-compose/en/officials-schools.md").read_text()
    assert markdown.startswith(
        "# Emotion recognition in schools\n\n*A brief for education officials*"
    )
    assert markdown.index("### Why officials should care") < markdown.index("### Schools in brief")
    assert "What we ask of officials" not in markdown  # the section heading says it


def test_rights_keep_the_brief_to_blocks_that_speak_to_them(scenario) -> None:
    project = scenario("compose-small")
    result = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--right", "expression", "--words", "1000", "--format", "md",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    # Required parts stay even where they speak to other rights; the rest must speak to it.
    assert list(_chosen(result.stdout)) == [
        "framing-officials", "framing-schools", "cameras", "grades", "rec-officials",
    ]  # fmt: skip
    assert "Left out" not in result.stdout
    markdown = (project / "build-compose/en/officials-schools-expression.md").read_text()
    assert "*A brief for education officials, on freedom of expression*" in markdown


def test_a_page_budget_is_held_on_the_real_pdf(scenario) -> None:
    project = scenario("compose-small")
    # No budget given: two pages. The vendors' long list looks short in words and is not.
    result = run_cli(
        "--project", project, "compose", "--audience", "press", "--use-case", "schools",
        "--format", "pdf",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "    vendors                                  context p2: taken out: with it the PDF " \
        "ran to 3 pages\n" in result.stdout  # fmt: skip
    fitting = re.findall(r"^fitting, PDF \d+: .* -> (\d+) pages?$", result.stdout, re.MULTILINE)
    assert fitting[0] == "3" and fitting[-1] == "1"
    pdf = project / "build-compose/en/press-schools.pdf"
    assert len(PdfReader(pdf).pages) == 1
    assert "pages: 1 (counted on the PDF)\n" in result.stdout
    assert list(_chosen(result.stdout)) == [
        "framing-schools", "summary-schools", "cameras", "grades", "privacy", "law", "rec-press",
    ]  # fmt: skip


def test_two_runs_give_the_same_bytes(scenario, tmp_path: Path) -> None:
    project = scenario("compose-small")
    digests = []
    for name in ("one", "two"):
        result = run_cli(
            "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
            "--words", "150", "--format", "pdf,docx,md", "--out", tmp_path / name,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        digests.append(tree_digest(tmp_path / name))
    assert digests[0] == digests[1]
    assert sorted(digests[0]) == [
        "en/officials-schools.docx", "en/officials-schools.md", "en/officials-schools.pdf",
        "manifest.json",
    ]  # fmt: skip


def test_unknown_values_suggest_the_nearest_and_build_nothing(scenario) -> None:
    project = scenario("compose-small")
    result = run_cli(
        "--project", project, "compose", "--audience", "oficials", "--use-case", "school",
        "--right", "privcy", "--format", "pdf,dcx", "--locale", "fr", "--words", "0",
        "--save-recipe", "Thursday.yml",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        'error: --audience: "oficials" is not an audience in briefgen.yaml (did you mean '
        '"officials"?).\n'
        'error: --format: "dcx" is not a format briefgen writes (did you mean "docx"?).\n'
        'error: --locale: "fr" is not a locale of this project (expected one of: en).\n'
        'error: --right: "privcy" is not a right in briefgen.yaml (did you mean "privacy"?).\n'
        'error: --save-recipe: "Thursday.yml" must be a slug (a-z, 0-9, hyphens) ending in '
        ".yaml, e.g. thursday.yaml: the file name is the brief's id, as in briefs/.\n"
        'error: --use-case: "school" is not a use case in briefgen.yaml (did you mean '
        '"schools"?).\n'
        "error: --words: must be a whole number, at least 1, not 0.\n"
        "error: 7 problems found; nothing was written.\n"
    )
    assert not (project / "build").exists()
    missing = run_cli("--project", project, "compose")
    assert missing.stderr.splitlines()[:2] == [
        "error: --audience: is required: one of officials, press.",
        "error: --use-case: is required: one or more of roads, schools.",
    ]


def test_a_part_no_block_can_fill_is_an_error_that_says_what_to_write(scenario) -> None:
    project = scenario("compose-small")
    result = run_cli("--project", project, "compose", "--audience", "press", "--use-case", "roads")
    assert result.exit_code == 1
    assert result.stderr == (
        'error: content/en/: no framing block serves the audience "press" and the use case '
        '"roads", and the brief cannot do without one (the opening): write one (kind: framing, '
        "audiences: [press] or all, use_cases: [roads] or all) or choose another audience or use "
        "case.\n"
        "error: 1 problem found; nothing was written.\n"
    )


def test_the_saved_recipe_is_readable_and_rebuilds_the_brief(scenario) -> None:
    project = scenario("compose-small")
    saved = project / "briefs/for-officials.yaml"
    asked = (
        "--audience", "officials", "--use-case", "schools", "--words", "150",
        "--date", "2026-12-10",
    )  # fmt: skip
    result = run_cli(
        "--project", project, "compose", *asked, "--format", "md", "--save-recipe", saved
    )
    assert result.exit_code == 0, result.stderr
    assert f"saved the recipe {saved}; to keep it, copy it into briefs/ and run: briefgen build " \
        "for-officials\n" in result.stdout  # fmt: skip
    assert saved.read_text() == (
        "# Composed by: briefgen compose --audience officials --use-case schools --words 150 "
        "--format md --date 2026-12-10\n"
        "# A recipe like any other (docs/recipes.md): edit it, copy it into briefs/, then\n"
        "# run `briefgen build for-officials` to rebuild the same brief.\n"
        "title:\n"
        "  en: Emotion recognition in schools\n"
        "subtitle:\n"
        "  en: A brief for education officials\n"
        "audience: officials\n"
        "use_cases: [schools]\n"
        "formats: [md]\n"
        "words: 150\n"
        "date: 2026-12-10\n"
        "sections:\n"
        "  - title:\n"
        "      en: Why this matters to education officials\n"
        "    blocks: [framing-officials, summary-schools]\n"
        "  - title:\n"
        "      en: The evidence\n"
        "    blocks: [cameras]\n"
        "  - title:\n"
        "      en: What is at stake\n"
        "    blocks: [privacy]\n"
        "  - title:\n"
        "      en: What we ask\n"
        "    blocks: [rec-officials]\n"
        "    show_titles: false\n"
    )
    built = run_cli("--project", project, "build", "for-officials")
    assert built.exit_code == 0, built.stderr
    composed = project / "build-compose/en/for-officials.md"
    assert (project / "build/en/for-officials.md").read_bytes() == composed.read_bytes()

    # The same command again writes the same recipe; another would replace it, and is refused.
    assert (
        run_cli(
            "--project", project, "compose", *asked, "--format", "md", "--save-recipe", saved
        ).exit_code
        == 0
    )
    other = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--words", "120", "--format", "md", "--save-recipe", saved, "--out", project / "other",
    )  # fmt: skip
    assert other.exit_code == 1
    assert other.stderr == (
        f"error: {saved} already exists and holds something else; give --save-recipe a new file "
        "name, or move that file away first.\n"
    )
    assert not (project / "other").exists()


def test_a_recipe_word_budget_is_held_by_check(scenario) -> None:
    project = scenario("compose-recipe-budget")
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    expected = (SCENARIOS / "compose-recipe-budget/expected-errors.txt").read_text()
    assert result.stderr == expected.replace(
        "; nothing was written.\n", ".\n"
    )  # check writes nothing
    recipe = project / "briefs/schools.yaml"
    recipe.write_text(recipe.read_text().replace("words: 20", "words: 22"))
    assert run_cli("--project", project, "check").exit_code == 0
    recipe.write_text(recipe.read_text().replace("words: 22", "words: twenty"))
    wrong = run_cli("--project", project, "check")
    assert wrong.stderr.splitlines()[0] == (
        "error: briefs/schools.yaml:5: words must be a whole number of words, at least 1, e.g. "
        '800, not "twenty".'
    )


def test_help_shows_examples_to_copy() -> None:
    result = run_cli("compose", "--help")
    assert result.exit_code == 0
    assert (
        "  Examples:\n    briefgen compose --audience government --use-case education --pages 2 "
        "--format pdf,docx\n"
    ) in result.stdout
    assert "Default: --pages 2." in " ".join(result.stdout.split())


def test_prepared_for_and_the_date_show_in_every_format(scenario, tmp_path: Path) -> None:
    project = scenario("compose-small")
    result = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--words", "150", "--format", "md,html", "--prepared-for", "the Ministry of Education",
        "--date", "2026-12-10",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    markdown = (project / "build-compose/en/officials-schools.md").read_text()
    assert "\nPrepared for the Ministry of Education · schools · December 10, 2026 · " in markdown
    html = (project / "build-compose/en/officials-schools.html").read_text()
    assert "<dd>the Ministry of Education</dd>" in html
    # Without --date, a composed brief is dated today; a release keeps briefgen.yaml's date.
    today = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--words", "150", "--format", "md", "--out", tmp_path,
    )  # fmt: skip
    assert today.exit_code == 0, today.stderr
    printed = dt.datetime.now(dt.UTC).date()
    assert (
        f"{printed:%B} {printed.day}, {printed.year}"
        in (tmp_path / "en/officials-schools.md").read_text()
    )
    wrong = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--date", "10/12/2026",
    )  # fmt: skip
    assert wrong.exit_code == 1
    assert wrong.stderr == (
        'error: --date: "10/12/2026" is not a date; give YYYY-MM-DD (e.g. 2026-12-10) or today.\n'
    )

    # Word and OpenDocument: "Prepared for" with the text, and "Prepared by" the organisation.
    out = tmp_path / "shipped"
    shipped = run_cli(
        "--project", REPO, "compose", "--audience", "government", "--use-case", "education",
        "--words", "900", "--format", "docx,md", "--prepared-for", "the Ministry of Education",
        "--date", "2026-12-10", "--out", out,
    )  # fmt: skip
    assert shipped.exit_code == 0, shipped.stderr
    paragraphs = [
        p.text for p in docx.Document(str(out / "en/government-education.docx")).paragraphs
    ]
    assert "Prepared for the Ministry of Education" in paragraphs
    assert "December 10, 2026 · Prepared by The Emotional Entanglement briefs project" in paragraphs
    assert (
        "· Prepared by The Emotional Entanglement briefs project ·"
        in (out / "en/government-education.md").read_text()
    )


def test_pinned_blocks_go_in_first_and_excluded_ones_never(scenario) -> None:
    project = scenario("compose-small")
    result = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--words", "200", "--format", "md", "--include", "law", "--exclude", "privacy",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    chosen = _chosen(result.stdout)
    assert "privacy" not in chosen and "privacy" not in result.stdout
    assert re.search(r"^    law +12 words  pinned \(--include\)$", result.stdout, re.M)
    assert sum(chosen.values()) == _words(result.stdout) <= 200
    # A pinned block that the budget cannot hold is an error that says by how much.
    words = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--words", "150", "--include", "vendors",
    )  # fmt: skip
    assert words.exit_code == 1
    assert words.stderr == (
        "error: the pinned blocks do not fit: with vendors (550 words) the brief runs 498 words "
        "over --words 150; pin fewer blocks (--include) or give a larger budget.\n"
    )
    pages = run_cli(
        "--project", project, "compose", "--audience", "press", "--use-case", "schools",
        "--pages", "1", "--include", "vendors", "--format", "pdf",
    )  # fmt: skip
    assert pages.exit_code == 1
    assert pages.stderr == (
        "error: the pinned blocks do not fit: with vendors (550 words) the brief runs 2 pages "
        "over --pages 1; pin fewer blocks (--include) or give a larger budget.\n"
    )
    assert not (project / "build-compose/en/press-schools.pdf").exists()
    unknown = run_cli(
        "--project", project, "compose", "--audience", "press", "--use-case", "schools",
        "--include", "vendor", "--exclude", "law", "--include", "law",
    )  # fmt: skip
    assert unknown.stderr.splitlines()[:2] == [
        'error: --exclude: "law" is also given to --include.',
        'error: --include: "vendor" is not a block of this project (did you mean "vendors"?).',
    ]


def test_in_a_target_language_translated_blocks_are_preferred_and_the_rest_announced(
    tmp_path: Path,
) -> None:
    project = copy_project(REPO, tmp_path / "project")
    (project / "content/fr/40-rights/030-dignity.md").unlink()
    for opening in ("01-framing/010-government", "01-framing/310-government-education",
                    "30-education/010-why-it-matters"):  # fmt: skip
        (project / f"content/fr/{opening}.md").unlink()
    asked = (
        "--project", project, "compose", "--audience", "government", "--use-case", "education",
        "--words", "1000", "--locale", "fr", "--format", "md",
    )  # fmt: skip
    result = run_cli(*asked)
    assert result.exit_code == 0, result.stderr
    chosen = _chosen(result.stdout)
    # No opening for the government is translated: the best one stays in English, said up
    # front (a translated opening would have come first).
    assert "framing-government-education" in chosen and "rights-dignity" not in chosen
    opening = "framing-government-education"
    assert result.stderr.startswith(
        f"note: {chosen[opening]} of the brief's words will stay in en: 1 block(s) "
        f"have no current fr translation ({opening}).\n"
    )
    refused = run_cli(*asked, "--untranslated", "refuse")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: ")
    assert f"have no current fr translation ({opening}), and --untranslated refuse" in (
        refused.stderr
    )


def test_order_moves_blocks_within_their_sections(scenario) -> None:
    project = scenario("compose-small")
    result = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--words", "200", "--format", "md", "--order", "summary-schools,framing-schools",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    # The two named blocks swap the places they held; the required opening keeps its own.
    assert list(_chosen(result.stdout))[:3] == [
        "framing-officials", "summary-schools", "framing-schools",
    ]  # fmt: skip
    markdown = (project / "build-compose/en/officials-schools.md").read_text()
    assert markdown.index("### Why officials should care") < markdown.index("### Schools in brief")
    assert markdown.index("### Schools in brief") < markdown.index("### Why classrooms are")
    unknown = run_cli(
        "--project", project, "compose", "--audience", "officials", "--use-case", "schools",
        "--order", "framing-school",
    )  # fmt: skip
    assert unknown.stderr.startswith(
        'error: --order: "framing-school" is not a block of this project (did you mean '
    )
