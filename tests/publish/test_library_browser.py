"""The brief library in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    external: list[str] = []
    opened.on("request", lambda r: external.append(r.url) if not r.url.startswith(site) else None)
    opened.goto(site + "index.html")
    yield opened
    assert external == []  # the library makes no external request
    context.close()


def visible_briefs(page: Page) -> int:
    return page.locator("#briefs > li.brief:visible").count()


def test_page_is_accessible_in_structure(page: Page) -> None:
    assert page.locator("html").get_attribute("lang") == "en"
    for landmark in ("header", "main", "footer"):
        assert page.locator(landmark).count() == 1
    for select in page.locator("select").all():
        label = page.locator(f"label[for='{select.get_attribute('id')}']")
        assert label.count() == 1 and label.inner_text().strip()
    expect(page.get_by_label("Audience")).to_be_visible()


BRIEFS = 9 * 3  # nine briefs in English, French and Chinese


def test_filters_narrow_the_list(page: Page) -> None:
    total = page.locator("#briefs > li.brief").count()
    assert visible_briefs(page) == total == BRIEFS
    page.get_by_label("Audience").select_option("government")
    assert visible_briefs(page) == 3
    expect(page.locator("#count")).to_have_text(f"3 of {BRIEFS} briefs shown")
    page.get_by_label("Language", exact=True).select_option("zh-Hans")
    assert visible_briefs(page) == 1
    page.get_by_label("Language", exact=True).select_option("")
    page.get_by_label("Audience").select_option("")
    page.get_by_label("Use case").select_option("education")
    shown = page.locator("#briefs > li.brief:visible")
    assert 1 < shown.count() < total
    for item in shown.all():
        assert "education" in item.get_attribute("data-use-cases").split()
    assert "use-case=education" in page.url
    page.get_by_role("button", name="Show all").click()
    expect(page.locator("#count")).to_have_text(f"{BRIEFS} briefs")


def test_filters_work_from_the_keyboard(page: Page) -> None:
    page.get_by_label("Audience").focus()
    page.keyboard.press("ArrowDown")  # the first real audience
    assert visible_briefs(page) < BRIEFS
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "filter-use-case"


def test_every_link_resolves_to_an_artifact(page: Page, site: str, shipped_build: Path) -> None:
    hrefs = [a.get_attribute("href") for a in page.locator("#briefs a").all()]
    assert len(hrefs) == BRIEFS * 6
    for href in hrefs:
        assert (shipped_build / href).is_file(), href
        with urllib.request.urlopen(site + href) as response:
            assert response.status == 200


def test_without_javascript_the_full_list_shows(browser: Browser, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "index.html")
    assert visible_briefs(page) == BRIEFS
    assert page.locator("#filters").is_hidden()  # controls that could not work stay hidden
    context.close()


def test_readable_on_a_phone(browser: Browser, site: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.goto(site + "index.html")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()


def test_each_language_has_its_page_with_its_own_labels(page: Page, site: str) -> None:
    switch = page.get_by_role("navigation", name="Page language")
    switch.get_by_role("link", name="中文 (简体)").click()
    expect(page).to_have_url(site + "index.zh-Hans.html")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    expect(page.get_by_label("读者对象")).to_be_visible()
    expect(page.locator("#count")).to_have_text(f"共{BRIEFS}份简报")
    page.get_by_label("读者对象").select_option("government")
    expect(page.locator("#count")).to_have_text(f"显示3份，共{BRIEFS}份简报")
    chinese = page.locator("li.brief[data-language='zh-Hans'][data-audience='government']")
    expect(chinese.locator("h2")).to_have_text("中国的情绪识别")
    expect(chinese.locator("dd").first).to_have_text("中国政府")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_the_library_says_which_briefs_are_incomplete(page: Page) -> None:
    french = page.locator("li.brief[data-language='fr']")
    summary = french.filter(has=page.locator("h2", has_text="en une page"))
    expect(summary.locator(".complete")).to_have_text("Complete")
    companies = french.filter(has=page.locator("[data-audience='companies']"))
    government = page.locator("li.brief[data-language='fr'][data-audience='government']")
    # The French and Chinese editions are complete: no brief says otherwise.
    expect(government.locator(".complete")).to_have_text("Complete")
    assert companies.count() >= 0
    assert page.locator("li.brief .incomplete").count() == 0


def test_the_library_marks_a_brief_with_parts_in_the_source_language(scenario) -> None:
    """The translated scenario's French brief lacks a block: its entry says how many parts."""
    from lxml import html

    from tests.conftest import run_cli

    project = scenario("translated")
    assert run_cli("--project", project, "build", "-q").exit_code == 0
    page = html.fromstring((project / "build/index.html").read_bytes())
    (french,) = page.cssselect("li.brief[data-language='fr'] .incomplete")
    assert "1" in french.text_content()
    assert not page.cssselect("li.brief[data-language='en'] .incomplete")
