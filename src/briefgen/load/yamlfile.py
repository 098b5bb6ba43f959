"""Read YAML safely, turning parser errors into located problems and keeping key line numbers."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

from briefgen.errors import ProblemsError, problem

MAX_FILE_BYTES = 5 * 1024 * 1024
# What one YAML document may hold once its aliases are followed: a 466-byte file of nested
# aliases ("billion laughs") would otherwise stand for billions of values.
MAX_NODES = 100_000
MAX_DEPTH = 100


# libyaml (the C parser) when the wheel has it: five times faster on 130 blocks.
class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A SafeLoader that refuses duplicate keys instead of silently keeping the last."""


class LineDict(dict[str, Any]):
    """A mapping that remembers the line (1-based, in its file) where each key stands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[str, int] = {}
        self.line = 0

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    keys = [loader.construct_object(k, deep=True) for k, _ in node.value]
    duplicates = {k for k in keys if isinstance(k, str) and keys.count(k) > 1}
    if duplicates:
        key_node = next(k for k, _ in node.value if k.value in duplicates)
        raise yaml.constructor.ConstructorError(
            None, None, f'the key "{sorted(duplicates)[0]}" appears twice', key_node.start_mark
        )
    mapping = LineDict({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    offset = getattr(loader, "first_line", 1)
    mapping.lines = {str(k.value): offset + k.start_mark.line for k, _ in node.value}
    mapping.line = offset + node.start_mark.line
    return mapping


class LineList(list[Any]):
    """A sequence that remembers the line (1-based, in its file) of each item."""

    lines: list[int]


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_sequence(node, deep=True))
    offset = getattr(loader, "first_line", 1)
    items.lines = [offset + item.start_mark.line for item in node.value]
    return items


def _constructed(kind: str, base: Any) -> Any:
    """A scalar constructor that reports a value Python cannot hold (2021-02-30, an integer of
    5,000 digits) at its line, instead of failing without one."""

    def construct(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
        try:
            return base(loader, node)
        except (ValueError, OverflowError):
            raise yaml.constructor.ConstructorError(
                None, None, f'"{str(node.value)[:40]}" is not a valid {kind}', node.start_mark
            ) from None

    return construct


_LineLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    _constructed("date", yaml.constructor.SafeConstructor.construct_yaml_timestamp),
)
_LineLoader.add_constructor(
    "tag:yaml.org,2002:int",
    _constructed("number", yaml.constructor.SafeConstructor.construct_yaml_int),
)
_LineLoader.add_constructor(
    "tag:yaml.org,2002:float",
    _constructed("number", yaml.constructor.SafeConstructor.construct_yaml_float),
)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def parse_yaml(
    text: str, path: Path, root: Path | None, first_line: int = 1
) -> tuple[Any, dict[str, int]]:
    """Parse YAML text that starts at `first_line` of `path`; return (data, key -> line)."""
    loader = _LineLoader(text)
    loader.first_line = first_line
    try:
        node = loader.get_single_node()
        data = None
        if node is not None:
            _bounded(node)
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + mark.line if mark else first_line
        what = error.problem or error.context or "invalid YAML"
        if what.startswith("mapping values are not allowed"):  # libyaml and PyYAML word it apart
            what = 'mapping values are not allowed here (put a value that contains ": " in quotes)'
        raise ProblemsError([problem(path, line, f"invalid YAML: {what}.", root)]) from None
    except yaml.YAMLError as error:
        raise ProblemsError([problem(path, first_line, f"invalid YAML: {error}.", root)]) from None
    finally:
        loader.dispose()
    return data, (data.lines if isinstance(data, LineDict) else {})


def _bounded(root: yaml.Node) -> None:
    """Refuse a document whose nodes, with every alias followed, are too many or too deep, or
    that contains itself. Counted once per node, so the count costs what the file's size does."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"values are nested more than {MAX_DEPTH} deep", node.start_mark
            )
        if id(node) in active:
            raise yaml.constructor.ConstructorError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        total = 1
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            active.add(id(node))
            children = (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else [part for pair in node.value for part in pair]
            )
            for child in children:
                total += size(child, depth + 1)
                if total > MAX_NODES:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"with its aliases (*name) followed, this holds more than {MAX_NODES:,} "
                        "values",
                        node.start_mark,
                    )
            active.discard(id(node))
        sizes[id(node)] = total
        return total

    size(root, 0)


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every link followed, stays inside `root`."""
    if path.is_symlink():
        return path.resolve().is_relative_to(real_folders(root))
    # Not a link itself: it is inside if its folder, with every link followed, is. Each folder
    # is answered once, since a project has thousands of blocks in a few dozen folders.
    return _folder_inside(os.fspath(path.parent), os.fspath(root))


@functools.lru_cache(maxsize=4096)
def real_folders(folder: Path) -> Path:
    """A folder with every link followed (cached: call clear_folders() when folders change)."""
    return folder.resolve()


@functools.lru_cache(maxsize=4096)
def _folder_inside(folder: str, root: str) -> bool:
    # Keyed by text: hashing a Path object costs more than the rest of a block's check.
    return real_folders(Path(folder)).is_relative_to(real_folders(Path(root)))


def clear_folders() -> None:
    """Forget the folders resolved so far (they may have moved or become links)."""
    real_folders.cache_clear()
    _folder_inside.cache_clear()


def read_text(path: Path, root: Path | None) -> str:
    """Read a UTF-8 text file, or raise a located problem saying why it can't be read."""
    if root is not None and not inside(path, root):
        raise ProblemsError(
            [
                problem(
                    path,
                    0,
                    f"is a link to {path.resolve()}, outside the "
                    "project; copy the file into the project instead.",
                    root,
                )
            ]
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProblemsError(
                [
                    problem(
                        path,
                        0,
                        f"the file is {size / 1e6:.0f} MB; files over "
                        f"{MAX_FILE_BYTES // (1024 * 1024)} MB are refused. Split it up.",
                        root,
                    )
                ]
            )
        data = path.read_bytes()
    except OSError as error:
        raise ProblemsError(
            [problem(path, 0, f"cannot be read: {error.strerror}.", root)]
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ProblemsError(
            [
                problem(
                    path,
                    line,
                    f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                    f"{error.start}). Save the file as UTF-8.",
                    root,
                )
            ]
        ) from None


def load_yaml_mapping(path: Path, root: Path | None) -> tuple[LineDict, dict[str, int]]:
    """Load a YAML file whose top level must be a mapping."""
    if not path.is_file():
        raise ProblemsError([problem(path, 0, "file not found.", root)])
    data, lines = parse_yaml(read_text(path, root), path, root)
    if data is None:
        data = LineDict()
    if not isinstance(data, LineDict):
        message = "the file must hold a YAML mapping (key: value lines)."
        raise ProblemsError([problem(path, 1, message, root)])
    return data, lines
