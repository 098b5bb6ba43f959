"""The one door to pandoc: find the bundled binary, run it, report failures with their stderr.

Pandoc comes from the pypandoc-binary wheel, never from the system: Debian's pandoc is too old to
write Typst. We run the binary directly rather than through pypandoc.convert_*, which adds ~65 ms a
call and hides the exit code.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson

from briefgen.errors import ToolError


def read_ast(data: bytes) -> Any:
    """Pandoc's JSON AST as Python values (a brief is read from it and written to it about
    ten times a build: orjson, several times faster than the json module)."""
    return orjson.loads(data)


def write_ast(tree: Any) -> bytes:
    """The AST back to JSON for pandoc: compact UTF-8. Key order and spacing do not matter,
    since pandoc reads it into its own types."""
    return orjson.dumps(tree)


def as_written(data: bytes) -> Any:
    """JSON that write_ast writes back as it is, unparsed (a part of the AST nobody changes)."""
    return orjson.Fragment(data)


def element(kind: str) -> bytes:
    """The bytes that mark an element of `kind` ("Table", "Image"...) in compact JSON.

    Exact: the bytes "t":"Table" can only be that element, since inside a JSON string every
    quotation mark is escaped, so no text of a brief can spell them. The same holds for any
    quoted ASCII name (a class, an identifier): see `quoted`.
    """
    return b'"t":"' + kind.encode("ascii") + b'"'


def quoted(name: str) -> bytes:
    """The bytes of an ASCII name (a class, an identifier) as a JSON string: wherever the name
    stands in the AST as a whole string, these bytes are in its JSON."""
    return b'"' + name.encode("ascii") + b'"'


def holding(blocks: list[Any], kind: str) -> list[Any]:
    """The blocks of `blocks` that hold an element of `kind` ("Table", "Image"...) at any depth,
    themselves included: a pass looking for that element need walk only these (a fraction of
    a walk's cost). A block left as written (see `lazily`) is searched as it is."""
    marker = element(kind)
    return [block for block in blocks if marker in orjson.dumps(block)]


def elements(node: Any, kind: str) -> list[dict[str, Any]]:
    """Every element of a kind in a pandoc tree, in document order (not inside one another)."""
    if isinstance(node, list):
        return [found for item in node for found in elements(item, kind)]
    if isinstance(node, dict):
        if node.get("t") == kind:
            return [node]
        return [found for value in node.values() for found in elements(value, kind)]
    return []


def each_block(blocks: list[Any]) -> tuple[bytes, ...]:
    """Each top-level block as its own compact JSON, so that a format parses only the blocks
    its passes change (`lazily`)."""
    return tuple(orjson.dumps(block) for block in blocks)


def lazily(blocks: tuple[bytes, ...], markers: tuple[bytes, ...]) -> list[Any]:
    """Top-level blocks (from `each_block`) as Python values where their JSON holds one of
    `markers` (see `element` and `quoted`), so that a pass can change them; every other block
    stays as written, and write_ast writes it back byte for byte without parsing it.

    A pass given such a list finds what it looks for among the parsed blocks, provided it
    asked for the markers of everything it changes or reads inside a block; `kind` tells it
    a top-level block's type."""
    return [read_ast(b) if any(m in b for m in markers) else as_written(b) for b in blocks]


def kind(block: Any) -> str:
    """A top-level block's type ("Header", "Div"...), or "" for a block left as written."""
    return str(block["t"]) if isinstance(block, dict) else ""


# What pandoc's Markdown reader may see in a brief: no raw HTML, TeX or {=format} content; no
# YAML metadata block or title block (a block's text could otherwise set the document's
# abstract, author or rights, which templates and writers print); no automatic identifiers
# (a block's "#### Ref x" would take citeproc's anchor ref-x).
MARKDOWN_READER = (
    "markdown-raw_html-raw_tex-raw_attribute-tex_math_dollars-tex_math_single_backslash"
    "-yaml_metadata_block-pandoc_title_block-auto_identifiers"
)

# Limits that hold in pandoc itself, not only in a timer here: when briefgen is killed, a
# pandoc stuck on a hostile block must still end. CPU time through the kernel (prlimit, from
# util-linux, which every Debian has), memory through pandoc's own runtime (+RTS -M: the
# Haskell runtime reserves far more address space than it uses, so RLIMIT_AS would break it).
TIMEOUT_SECONDS = 120
CPU_SECONDS = 120
MEMORY_LIMIT = "3g"
_RTS_OPTIONS = ("+RTS", f"-M{MEMORY_LIMIT}", "-RTS")


@functools.cache
def _limits(cpu_seconds: int = CPU_SECONDS) -> tuple[str, ...]:
    """The CPU limit (prlimit), and a pandoc that dies with the process that started it
    (setpriv --pdeathsig: a worker stopped by Ctrl-C leaves no pandoc running alone)."""
    prlimit, setpriv = shutil.which("prlimit"), shutil.which("setpriv")
    limits = (prlimit, f"--cpu={cpu_seconds}", "--") if prlimit else ()
    return (setpriv, "--pdeathsig", "KILL", "--", *limits) if setpriv else limits


def executable() -> str:
    """The pandoc to run: $BRIEFGEN_PANDOC if set (another build, or a test's wrapper), else the
    one bundled with pypandoc-binary."""
    return os.environ.get("BRIEFGEN_PANDOC") or bundled()


@functools.cache
def bundled() -> str:
    """Path to the pandoc bundled with pypandoc-binary."""
    # Found, not imported: importing pypandoc takes longer (60 ms) than many a pandoc call.
    spec = importlib.util.find_spec("pypandoc")
    if spec is None or spec.origin is None:  # pragma: no cover - a broken install
        raise ToolError("finding pandoc", "the pypandoc-binary package is not installed")
    path = Path(spec.origin).parent / "files" / "pandoc"
    if not path.is_file():
        raise ToolError("finding pandoc", f"no pandoc binary at {path}; reinstall pypandoc-binary")
    return str(path)


@functools.cache
def version() -> str:
    """The bundled pandoc's version, e.g. '3.9'."""
    out = run(["--version"], b"", what="asking pandoc for its version").decode()
    return out.split()[1]


def run(
    args: list[str],
    stdin: bytes,
    *,
    what: str,
    cwd: Path | None = None,
    epoch: int | None = None,
    binary: str = "",
    timeout: int = TIMEOUT_SECONDS,
    cpu_seconds: int = CPU_SECONDS,
) -> bytes:
    """Run pandoc with `args`, feeding `stdin`; return its stdout or raise ToolError.

    `binary` is the pandoc to run (default: `executable()`); a render job names its own, since
    a worker process may have been started before the environment that chose it.
    Pandoc warnings are failures: a missing citation or resource must not pass silently.
    """
    env = dict(os.environ)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    program = binary or executable()
    command = [*_limits(cpu_seconds), program, *_RTS_OPTIONS]
    # --sandbox on every call: whatever a block, title or attribute says, pandoc reads no file
    # but those named here and fetches nothing (docs/security.md).
    command += ["--fail-if-warnings", "--sandbox", *args] if args != ["--version"] else args
    try:
        completed = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            cwd=cwd,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ToolError(
            f"pandoc ({what})", f"no answer after {timeout} s", " ".join(command)
        ) from None
    except OSError as error:
        raise ToolError(f"pandoc ({what})", str(error), " ".join(command)) from None
    if completed.returncode != 0:
        raise ToolError(
            f"pandoc ({what})",
            completed.stderr.decode("utf-8", "replace"),
            " ".join(command),
            completed.returncode,
        )
    return completed.stdout
