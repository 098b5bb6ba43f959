"""Finding and inspecting content: list blocks with filters, show one block."""

from __future__ import annotations

from tests.conftest import REPO, run_cli


def test_list_blocks_filters_and_counts_words_and_translations() -> None:
    result = run_cli(
        "--project", REPO, "list", "blocks", "--audience", "government", "--use-case",
        "education", "--right", "privacy", "--kind", "evidence",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Blocks (")
    rows = lines[1:]
    assert rows and all(" evidence " in row for row in rows)
    hangzhou = next(row for row in rows if row.split()[0] == "edu-hangzhou-no11")
    assert "fr:current" in hangzhou and "zh-Hans:current" in hangzhou
    assert "content/en/30-education/110-hangzhou-no11.md" in hangzhou


def test_list_blocks_by_text_and_in_another_locale() -> None:
    text = run_cli("--project", REPO, "list", "blocks", "--text", "Yiwu").stdout
    assert "ps-yiwu-station" in text
    chinese = run_cli("--project", REPO, "list", "blocks", "--locale", "zh-Hans", "--text", "义乌")
    assert "content/zh-Hans/10-public-security/080-yiwu-station.md" in chinese.stdout


def test_an_unknown_filter_value_suggests_the_nearest() -> None:
    result = run_cli("--project", REPO, "list", "blocks", "--audience", "goverment")
    assert result.exit_code == 1
    assert 'unknown audience "goverment" (did you mean "government"?).' in result.stderr


def test_show_prints_metadata_text_sources_translations_and_briefs() -> None:
    result = run_cli("--project", REPO, "show", "ps-yiwu-station")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("ps-yiwu-station: ")
    assert "file:       content/en/10-public-security/080-yiwu-station.md" in out
    assert "153" in out  # the text
    assert "@article19_2021: Marda, Ahmed (2021). Emotional entanglement" in out
    assert "zh-Hans  current  content/zh-Hans/10-public-security/080-yiwu-station.md" in out
    assert "government" in out.split("briefs:")[1].splitlines()[0]
    missing = run_cli("--project", REPO, "show", "ps-yiwu")
    assert missing.exit_code == 1 and 'there is no block "ps-yiwu"' in missing.stderr
