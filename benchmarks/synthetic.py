"""Generate a synthetic briefgen project of a given size, for benchmarks.

    python benchmarks/synthetic.py OUT --blocks 10000 --entries 5000

The shipped project's vocabulary, templates and styles, plus N blocks spread over folders, each
citing a few of M BibTeX entries, and a handful of recipes that select by kind and folder. Same
arguments, same files.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("evidence", "finding", "analysis", "context")
AUDIENCES = ("government", "international", "companies", "civil-society")
USE_CASES = ("public-security", "driving-safety", "education")
WORDS = [
    *("emotion", "recognition", "cameras", "classroom", "police", "insurer", "driver", "pupils"),
    *("teachers", "data", "consent", "facial", "expression", "heart", "rate", "surveillance"),
    *("market", "vendor", "standard", "privacy", "dignity", "protest"),
]


def generate(out: Path, blocks: int, entries: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in ("templates", "styles", "branding"):
        shutil.copytree(ROOT / name, out / name, ignore=shutil.ignore_patterns("*.po"))
    # The shipped vocabularies, in one locale: the measure is how checking grows with blocks.
    project = yaml.safe_load((ROOT / "briefgen.yaml").read_text(encoding="utf-8"))
    project["locales"] = {"source": "en", "available": ["en"]}
    project["name"], project["publisher"] = "Synthetic", "Benchmarks"
    (out / "briefgen.yaml").write_text(yaml.safe_dump(project, allow_unicode=True), "utf-8")
    bib = []
    for index in range(entries):
        bib.append(
            f"@article{{src{index:05d},\n  author = {{Author, A{index} and Writer, B}},\n"
            f"  title = {{A study of emotion recognition, part {index}}},\n"
            f"  journal = {{Journal of Synthetic Research}},\n  year = {{{2000 + index % 24}}},\n"
            f"  volume = {{{index % 40 + 1}}},\n"
            f"  pages = {{{index % 90 + 1}--{index % 90 + 9}}}\n}}\n"
        )
    (out / "bibliography.bib").write_text("\n".join(bib), encoding="utf-8")
    content = out / "content/en"
    for index in range(blocks):
        folder = content / f"{index // 500:03d}-part"
        folder.mkdir(parents=True, exist_ok=True)
        kind = KINDS[index % len(KINDS)]
        cites = "; ".join(f"@src{(index * 7 + k) % entries:05d}" for k in range(2))
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 22))).capitalize() + "."
            for _ in range(rng.randint(4, 9))
        ]
        audiences = rng.sample(AUDIENCES, rng.randint(1, 4))
        use_cases = rng.sample(USE_CASES, rng.randint(1, 3))
        (folder / f"{index % 500:03d}-block.md").write_text(
            "---\n"
            f"id: block-{index:05d}\n"
            f"title: Synthetic block {index}\n"
            f"kind: {kind}\n"
            f"audiences: [{', '.join(audiences)}]\n"
            f"use_cases: [{', '.join(use_cases)}]\n"
            f"priority: {index % 3 + 1}\n"
            "---\n" + " ".join(sentences[:-1]) + f" [{cites}].\n\n" + sentences[-1] + "\n",
            encoding="utf-8",
        )
    briefs = out / "briefs"
    briefs.mkdir()
    # Every entry must be cited somewhere or check --strict warns: the last recipe takes all.
    folders = sorted(p.name for p in content.iterdir())
    for audience in AUDIENCES:
        (briefs / f"{audience}.yaml").write_text(
            f"title: Synthetic brief for {audience}\naudience: {audience}\nuse_cases: all\n"
            "max_priority: 1\nformats: [html]\nsections:\n"
            "  - title: Evidence\n"
            f"    select: {{kinds: [evidence, finding], under: [{folders[0]}]}}\n"
            f"  - title: Analysis\n    select: {{kinds: [analysis], under: [{folders[-1]}]}}\n",
            encoding="utf-8",
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=1000)
    args = parser.parse_args()
    generate(args.out, args.blocks, args.entries)


if __name__ == "__main__":
    main()
