"""Save to screen in a fraction of a build: re-render only the block an edit touched.

When the one file a save changed is a block of the previewed brief, in the previewed
language, the preview renders a brief of that block alone (under its own section, with every
citation of the whole brief, so that the references come out as the whole brief's), takes
the block's section and the references from that page, and sends them to open pages to patch
in place. The full rebuild runs behind it as before; when its page shows the same section and
references, pages stay as patched, and otherwise they reload (preview/live.py).

The block is read and checked as `check` reads it (content.read_block: its fields, the
allowlist, its citations against the bibliography); anything it finds, and any edit that is
more than one block's text (a recipe, a title of the brief, a block that moves between
sections), takes the full path alone, which reports problems as it always has.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import PurePosixPath

import lxml.html

from briefgen.assemble.markdown import DocumentWriter
from briefgen.build import BuildRequest, plan_builds
from briefgen.i18n.locales import block_state, qa_problems
from briefgen.load.content import CONTENT_DIR, inherit_translations, read_block
from briefgen.load.loader import Loaded, load
from briefgen.model import Block, Citation, Content, Section
from briefgen.render.convert import render_job
from briefgen.render.jobs import Prepared, figure_names, prepare

REFERENCES_ID = "refs"  # the div pandoc's citeproc fills, as the brief template names it
CITER_ID = "briefgen-preview-citations"  # the block that cites the rest of the brief


@dataclass(frozen=True)
class Fragment:
    """What a patch replaces in the open page: one block's section, and the references."""

    block_id: str
    section: str  # the <section id="block_id"> element, as HTML
    references: str  # the <div id="refs"> element, as HTML ("" if the brief cites nothing)


def page_fragment(page: bytes, block_id: str) -> Fragment | None:
    """The block's section and the references of a rendered page; None if it has no section
    of that id (a block shown without its title has none)."""
    tree = lxml.html.document_fromstring(page)
    sections = tree.xpath("//section[@id=$id]", id=block_id)
    if len(sections) != 1:
        return None
    references = tree.xpath("//div[@id=$id]", id=REFERENCES_ID)
    return Fragment(
        block_id,
        lxml.html.tostring(sections[0], encoding="unicode", with_tail=False),
        lxml.html.tostring(references[0], encoding="unicode", with_tail=False)
        if references
        else "",
    )


class QuickRender:
    """The previewed brief as last built, kept in memory, to render one edited block fast."""

    def __init__(self, request: BuildRequest) -> None:
        self.request = request
        self._loaded: Loaded | None = None
        self._prepared: Prepared | None = None

    def refresh(self, loaded: Loaded | None = None) -> None:
        """Keep the previewed brief's assembly from `loaded`, the project as the latest build
        loaded it. Without one (that build changed nothing, or failed: no patch is sent until
        a build succeeds), the state kept stays, or the project is loaded if none is kept.
        Any problem leaves no state: the next edit takes the full path."""
        if loaded is None and self._prepared is not None:
            return
        self._loaded = self._prepared = None
        if len(self.request.briefs) != 1 or len(self.request.locales) != 1:
            return
        try:
            loaded = loaded or load(self.request.root)
            plan, _ = plan_builds(loaded, self.request)
            (prepared,) = prepare(loaded, plan)
        except Exception:  # the full build reports every problem; this is only a shortcut
            return
        self._loaded, self._prepared = loaded, prepared

    def fragment(self, changed: tuple[str, ...]) -> Fragment | None:
        """The edited block's section and the references, rendered; None where the edit is
        not one block of this brief's text, or the block has a problem of any kind."""
        loaded, prepared = self._loaded, self._prepared
        if loaded is None or prepared is None or len(changed) != 1:
            return None
        relative = PurePosixPath(changed[0])
        locale = prepared.brief.locale
        if relative.parts[:2] != (CONTENT_DIR, locale) or relative.suffix != ".md":
            return None
        project = loaded.project
        path = project.root / relative
        try:
            block, problems = read_block(project, locale, path, project.root / CONTENT_DIR / locale)
        except Exception:  # unreadable, or no front matter: the full build says which
            return None
        if block is None or problems:
            return None
        if any(c.key not in loaded.bibliography.entries for c in block.citations):
            return None
        shown = {b.id: b for b in prepared.brief.blocks}
        if block.id not in shown or shown[block.id].path != block.path:
            return None  # not in this brief as this file: a translation shown in its place...
        blocks = {k: dict(v) for k, v in loaded.content.blocks.items()}
        blocks[locale][block.id] = block
        content, inherited = inherit_translations(
            Content(blocks, loaded.content.incomplete), project
        )
        if inherited:
            return None
        states = loaded.states
        if locale != project.source_locale:
            # A translation shows only if it is current and keeps its source's citations,
            # links and numbers (translation QA, as `check` runs it); else the full path.
            translation = content.locale(locale)[block.id]
            original = content.locale(project.source_locale).get(translation.translation_of)
            if original is None:
                return None
            state = block_state(original, translation)
            if state.state != "current" or qa_problems(original, translation):
                return None
            states = {**states, locale: {**states.get(locale, {}), original.id: state}}
        edited = dataclasses.replace(loaded, content=content, states=states)
        plan, _ = plan_builds(edited, self.request)
        try:
            (now,) = prepare(edited, plan)
        except Exception:  # a shortcut only: the full build that follows reports any failure
            return None
        if [b.id for b in now.brief.blocks] != [b.id for b in prepared.brief.blocks]:
            return None  # the edit moved the block in or out of a section: a new brief
        return _render(edited, now, block.id)


def _render(loaded: Loaded, prepared: Prepared, block_id: str) -> Fragment | None:
    """The brief of that one block (under its section's title, citing the whole brief's
    sources), written and rendered as any brief is, in this process; its section and
    references."""
    brief = prepared.brief
    section = next(s for s in brief.sections if any(b.id == block_id for b in s.blocks))
    if not section.show_titles:
        return None  # no section of its own in the page to replace
    block = next(b for b in section.blocks if b.id == block_id)
    others = [key for key in brief.cited_keys if key not in block.cited_keys]
    sections = [dataclasses.replace(section, blocks=(block,), companies=())]
    if others:
        sections.append(Section("", (_citer(block, others),), show_titles=False))
    alone = dataclasses.replace(brief, sections=tuple(sections))
    writer = DocumentWriter(loaded.project, loaded.strings)
    markdown, _ = writer.write(alone, figure_names(alone))
    job = dataclasses.replace(prepared.job, markdown=markdown, formats=("html",), spans=())
    (artifact,) = render_job(job)
    return page_fragment(artifact.data, block_id)


def _citer(block: Block, keys: list[str]) -> Block:
    """A block that cites `keys`: with it, citeproc lists the whole brief's references."""
    return dataclasses.replace(
        block,
        id=CITER_ID,
        title="",
        body="[" + "; ".join(f"@{key}" for key in keys) + "]",
        citations=tuple(Citation(key, 1) for key in keys),
        figure=None,
        since_report=False,
    )
