"""Reading an uploaded file into plain Python values without trusting it.

JSON and YAML both come back as dicts, lists, strings, numbers, booleans and None, or an ``InvalidModelFile``
that names the problem and, where the parser knows it, the line. A file larger than ``MAX_FILE_BYTES``, nested
deeper than ``MAX_DEPTH``, YAML whose aliases expand past ``MAX_EXPANDED_VALUES`` (the billion-laughs file) or
that uses tags other than the plain ones is refused before anything is built from it.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from .document import MAX_DEPTH, MAX_FILE_BYTES, InvalidModelFile


def text_of(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise InvalidModelFile(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {MAX_FILE_BYTES // 1_048_576} MB."
        )
    if not data.strip():
        raise InvalidModelFile("The file is empty.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidModelFile(
            "The file is not UTF-8 text (is it a model file?).", f"byte {error.start}"
        ) from None


def load_json(data: bytes) -> Any:
    text = text_of(data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidModelFile(
            f"This is not valid JSON: {error.msg}.", f"line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise InvalidModelFile(f"The file is nested more than {MAX_DEPTH} levels deep.") from None
    _check_depth(value)
    return value


# Aliases share one parsed node, so a small file can stand for billions of values (the billion-laughs file);
# a file whose values, with every alias written out, exceed this is refused before anything is built from it.
MAX_EXPANDED_VALUES = 1_000_000


class _PlainLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses tags beyond the core schema's own."""

    def construct_undefined(self, node: yaml.Node) -> Any:
        raise InvalidModelFile(f"The YAML tag {node.tag} is not accepted.", _place(node.start_mark))


_PlainLoader.add_constructor(None, _PlainLoader.construct_undefined)


def load_yaml(data: bytes) -> Any:
    """Threagile files use anchors, aliases and merge keys (<<) for real, so they are allowed, within a budget."""
    loader = _PlainLoader(text_of(data))
    try:
        node = loader.get_single_node()
        if node is None:
            raise InvalidModelFile("The file is empty.")
        _check_expansion(node)
        value = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise InvalidModelFile(
            f"This is not valid YAML: {error.problem or error.context}.", _place(mark) if mark else ""
        ) from None
    except yaml.YAMLError as error:
        raise InvalidModelFile(f"This is not valid YAML: {error}.") from None
    except RecursionError:
        raise InvalidModelFile(f"The file is nested more than {MAX_DEPTH} levels deep.") from None
    finally:
        loader.dispose()
    return value


def _place(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _check_expansion(root: yaml.Node) -> None:
    """Count the values and levels the document stands for with every alias expanded, expanding none."""
    measured: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in measured:
            return measured[key]
        if key in open_nodes:
            raise InvalidModelFile(
                "A YAML alias refers to the value that contains it.", _place(node.start_mark)
            )
        open_nodes.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        sizes = [measure(child) for child in children]
        total, depth = 1 + sum(count for count, _ in sizes), 1 + max((d for _, d in sizes), default=0)
        open_nodes.discard(key)
        if total > MAX_EXPANDED_VALUES:
            raise InvalidModelFile(
                f"With its aliases written out the file holds more than {MAX_EXPANDED_VALUES:,} values.",
                _place(node.start_mark),
            )
        if depth > MAX_DEPTH:
            raise InvalidModelFile(
                f"The file is nested more than {MAX_DEPTH} levels deep.", _place(node.start_mark)
            )
        measured[key] = (total, depth)
        return total, depth

    measure(root)


def load_any(data: bytes) -> Any:
    """JSON when the text starts like JSON, else YAML (which also reads most JSON)."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    return load_json(data) if stripped[:1] in (b"{", b"[") else load_yaml(data)


def _check_depth(value: Any) -> None:
    """Refuse values nested deeper than MAX_DEPTH."""
    if nested_too_deep(value):
        raise InvalidModelFile(f"The file is nested more than {MAX_DEPTH} levels deep.")


def nested_too_deep(value: Any) -> bool:
    """Whether dicts and lists in `value` nest deeper than MAX_DEPTH, walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False
