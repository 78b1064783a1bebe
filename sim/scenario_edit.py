"""Editing a scenario file in place: replace an agent group's roster, keep every other line.

``run_sim.py staff --write`` puts the calculated schedule into the scenario. Rewriting the whole
file through a YAML dumper would lose the user's comments and layout, so this module edits text:
it finds the group's ``headcount``/``schedule``/``shifts`` entry from the YAML node positions,
removes it, and writes a ``schedule:`` block in its place at the same indentation. The result is
validated before it replaces the file (atomically).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

ROSTER_KEYS = ("headcount", "schedule", "shifts")


def _mapping_item(node: yaml.MappingNode, key: str):
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Index just past the last line of a node that ends at *index*. A block node's end mark sits
    at the next token, which may be indented on the following line: then the node ends at the
    start of that line, not at its end (the following key stays)."""
    start = _line_start(text, index)
    if text[start:index].strip() == "":
        return start
    if index > 0 and text[index - 1] == "\n":
        return index
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def schedule_block(schedule: dict[str, list[int]], indent: int, comment: str) -> str:
    """A ``schedule:`` block at *indent* spaces, one flow list of 48 headcounts per day."""
    pad = " " * indent
    lines = [f"{pad}schedule:  # {comment}"]
    for day, counts in schedule.items():
        lines.append(f"{pad}  {day}: [{', '.join(str(n) for n in counts)}]")
    if not schedule:
        lines[0] = f"{pad}schedule: {{}}  # {comment}"
    return "\n".join(lines) + "\n"


def replace_rosters(text: str, schedules: dict[str, dict[str, list[int]]], comment: str) -> str:
    """*text* with each named group's roster replaced by its schedule."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    agents = _mapping_item(root, "agents")
    if agents is None or not isinstance(agents[1], yaml.MappingNode):
        raise ValueError("the scenario has no agents mapping to write into")
    edits: list[tuple[int, int, str]] = []
    for group, schedule in schedules.items():
        item = _mapping_item(agents[1], group)
        if item is None:
            raise ValueError(f"agents.{group} is not in the file (it comes from a strategy patch)")
        group_node = item[1]
        if group_node.flow_style:
            raise ValueError(f"agents.{group} is written in flow style {{...}}; write it as a block "
                             "mapping to let staff --write edit it")
        entries = [entry for entry in (_mapping_item(group_node, key) for key in ROSTER_KEYS) if entry]
        indent = group_node.value[0][0].start_mark.column
        first = True
        for key_node, value_node in sorted(entries, key=lambda e: e[0].start_mark.index):
            start = _line_start(text, key_node.start_mark.index)
            end = _line_end(text, value_node.end_mark.index)
            edits.append((start, end, schedule_block(schedule, indent, comment) if first else ""))
            first = False
        if not entries:
            position = _line_end(text, group_node.end_mark.index)
            edits.append((position, position, schedule_block(schedule, indent, comment)))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def write_atomically(path: Path, text: str) -> None:
    """Replace *path* by *text* all at once (a temporary sibling, then a rename)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
