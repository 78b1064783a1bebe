"""Scenario files: from YAML text to validated scenarios, or to one clear line per mistake.

Reading a scenario is three steps:

1. **Parse** the YAML while remembering where every key and value sits (line and column), so an
   error can point at the text the user wrote.
2. **Resolve**: apply ``--set key.path=value`` overrides, then deep-merge each strategy's patch
   over the base (mappings merge key by key, lists are replaced whole, ``null`` deletes a key).
3. **Validate** every strategy into a frozen :class:`~sim.scenario.Scenario`.

Every mistake becomes one line ``file:line:col: key.path: what is allowed (got X)``, with a
did-you-mean for a misspelt key, collected in a :class:`ScenarioError`; nothing is simulated or
written until the whole file is clean.
"""

from __future__ import annotations

import copy
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario import CrossCheckError, Scenario, Sweep, number_text, suggestion

KeyPath = tuple[Union[str, int], ...]

RUN_WIDE = ("horizon", "warmup", "replications", "seed")
"""Keys a strategy's patch may not change: strategies are compared replication by replication over
the same window, on common random numbers."""


@dataclass(frozen=True)
class Origin:
    """Where a value came from: a place in the file, or a ``--set`` option."""

    line: int | None
    """1-based line in the file, or ``None`` for a ``--set`` value."""
    column: int | None
    """1-based column in the file."""
    shown: KeyPath
    """The key path as the user wrote it (a strategy's patch keeps its ``strategies.NAME.`` prefix)."""
    option: str | None = None
    """The ``--set`` expression that gave this value, if any."""


class ScenarioError(Exception):
    """A scenario that cannot run; ``lines`` holds one readable line per mistake."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass
class _Document:
    """Parsed YAML with the origin of every value (by key path) and of every mapping key."""

    data: Any
    values: dict[KeyPath, Origin] = field(default_factory=dict)
    keys: dict[KeyPath, Origin] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """A loaded scenario file: its strategies, each a validated :class:`Scenario`, in file order."""

    source: str
    """The file it came from."""
    strategies: dict[str, Scenario]
    """Strategy name -> resolved scenario; the first is the reference. ``{'base': ...}`` without strategies."""
    base: dict
    """The base mapping after ``--set`` (raw, for writing the resolved scenario)."""
    patches: dict[str, dict]
    """Strategy name -> its patch as written (after ``--set``)."""
    sweep: Sweep | None = None
    """The file's ``sweep:`` section (read by ``run_sim.py sweep`` only), if it has one."""
    sweep_where: dict[str, str] = field(default_factory=dict)
    """Key path of each ``sweep.vary`` entry -> where it is written (``file:line:col``), for errors."""

    @property
    def first(self) -> Scenario:
        return next(iter(self.strategies.values()))

    def resolved_yaml(self) -> str:
        """The scenario as run, defaults filled in, that loads back to the same strategies.

        The base is the first strategy, fully resolved; every strategy is written as the smallest
        patch that turns that base into it.
        """
        dumps = {name: _dump(scenario) for name, scenario in self.strategies.items()}
        names = list(dumps)
        document = dict(dumps[names[0]])
        if self.patches:
            document["strategies"] = {name: _difference(dumps[names[0]], dumps[name]) for name in names}
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _dump(scenario: Scenario) -> dict:
    return scenario.model_dump(mode="json", exclude_none=True)


def _difference(base: dict, target: dict) -> dict:
    """The patch that turns *base* into *target* (``null`` deletes, mappings merge)."""
    patch: dict = {}
    for key in base:
        if key not in target:
            patch[key] = None
    for key, value in target.items():
        if key not in base:
            patch[key] = value
        elif isinstance(value, dict) and isinstance(base[key], dict):
            inner = _difference(base[key], value)
            if inner:
                patch[key] = inner
        elif value != base[key]:
            patch[key] = value
    return patch


# --------------------------------------------------------------------------------------- parsing


def _position(node: yaml.Node, shown: KeyPath) -> Origin:
    return Origin(node.start_mark.line + 1, node.start_mark.column + 1, shown)


def _unreadable(error: yaml.reader.ReaderError, text: str, source: str) -> ScenarioError:
    """A character YAML does not allow (a NUL byte, a control character), located in the file."""
    before = text[:error.position]
    line, column = before.count("\n") + 1, error.position - (before.rfind("\n") + 1) + 1
    return ScenarioError([f"{source}:{line}:{column}: not valid YAML: printable characters only "
                          f"(got #x{error.character:04x})"])


def _parse(text: str, source: str) -> _Document:
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:
        raise _unreadable(error, text, source) from None
    try:
        try:
            root = loader.get_single_node()
        except yaml.reader.ReaderError as error:
            raise _unreadable(error, text, source) from None
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
            problem = error.problem or error.context or "invalid YAML"
            raise ScenarioError([f"{where}: not valid YAML: {problem}"]) from None
        except yaml.YAMLError as error:
            raise ScenarioError([f"{source}: not valid YAML: {error}"]) from None
        if root is None:
            raise ScenarioError(
                [f"{source}:1:1: (top): a scenario mapping with at least horizon, demand and agents "
                 "(got an empty file)"]
            )
        document = _Document(data=None)
        errors: list[str] = []
        document.data = _construct(loader, root, (), document, errors, source)
    finally:
        loader.dispose()
    if errors:
        raise ScenarioError(errors)
    if not isinstance(document.data, dict):
        raise ScenarioError(
            [f"{source}:{root.start_mark.line + 1}:{root.start_mark.column + 1}: (top): "
             f"a mapping of scenario keys (got {_kind(document.data)})"]
        )
    return document


def _construct(loader, node, path, document, errors, source):
    document.values[path] = _position(node, path)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                errors.append(
                    f"{source}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                    f"{_show(path) or '(top)'}: keys must be names (got {_kind(key)})"
                )
                continue
            if key in result:
                errors.append(
                    f"{source}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                    f"{_show(path + (key,))}: each key once (got '{key}' twice)"
                )
                continue
            document.keys[path + (key,)] = _position(key_node, path + (key,))
            result[key] = _construct(loader, value_node, path + (key,), document, errors, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, path + (index,), document, errors, source)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def _show(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


# ------------------------------------------------------------------------------------- resolving


def _subtree(origins: dict[KeyPath, Origin], path: KeyPath) -> dict[KeyPath, Origin]:
    size = len(path)
    return {p: o for p, o in origins.items() if p[:size] == path}


def _drop(origins: dict[KeyPath, Origin], path: KeyPath) -> None:
    for p in list(_subtree(origins, path)):
        del origins[p]


def _merge(base: dict, patch: dict, origins: dict, patch_doc: _Document, patch_root: KeyPath,
           path: KeyPath = ()) -> None:
    """Merge *patch* into *base* in place; the origin maps follow the values."""
    for key, value in patch.items():
        here = path + (key,)
        if value is None:
            base.pop(key, None)
            _drop(origins["values"], here)
            _drop(origins["keys"], here)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            origins["keys"][here] = patch_doc.keys[patch_root + here]
            _merge(base[key], value, origins, patch_doc, patch_root, here)
        else:
            base[key] = copy.deepcopy(value)
            for kind in ("values", "keys"):
                _drop(origins[kind], here)
                for p, origin in _subtree(getattr(patch_doc, kind), patch_root + here).items():
                    origins[kind][here + p[len(patch_root) + len(here):]] = origin


def _parse_assignment(expression: str, source: str) -> tuple[KeyPath, Any]:
    key, sep, text = expression.partition("=")
    if not sep or not key.strip():
        raise ScenarioError([f"{source}: --set {expression}: a key.path=value pair (got no '=')"])
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ScenarioError(
            [f"{source}: --set {expression}: a YAML value after '=' (got {text!r})"]
        ) from None
    path: list[str | int] = []
    for part in key.strip().split("."):
        if part == "":
            raise ScenarioError([f"{source}: --set {expression}: a key path like agents.frontline.headcount"])
        path.append(int(part) if part.isdigit() else part)
    return tuple(path), value


def _apply_set(document: _Document, expression: str, source: str) -> None:
    path, value = _parse_assignment(expression, source)
    if path[0] == "strategies":
        strategies = document.data.get("strategies")
        if len(path) < 3 or not isinstance(strategies, dict) or path[1] not in strategies:
            names = list(strategies) if isinstance(strategies, dict) else []
            raise ScenarioError(
                [f"{source}: --set {expression}: strategies.NAME.key with NAME one of "
                 f"{', '.join(map(str, names)) or '(no strategies)'} (got '{_show(path[:2])}')"
                 f"{suggestion(str(path[1]), [str(n) for n in names]) if len(path) > 1 else ''}"]
            )
        if strategies[path[1]] is None:
            strategies[path[1]] = {}
    target = document.data
    for depth, part in enumerate(path[:-1]):
        if isinstance(target, dict) and target.get(part) is None:
            target[part] = {}
            target = target[part]
            # a mapping this option made: a mistake in it is the option's, not the file's
            made = path[:depth + 1]
            document.values[made] = document.keys[made] = Origin(None, None, made, option=expression)
        elif isinstance(target, dict) and isinstance(target[part], (dict, list)):
            target = target[part]
        elif isinstance(target, list) and isinstance(part, int) and part < len(target):
            target = target[part]
        else:
            inside = target.get(part) if isinstance(target, dict) else target
            raise ScenarioError(
                [f"{source}: --set {expression}: {_show(path[:depth + 1])}: cannot set a key "
                 f"inside {_kind(inside)}"]
            )
    last = path[-1]
    if isinstance(target, list):
        if not isinstance(last, int) or last >= len(target):
            raise ScenarioError(
                [f"{source}: --set {expression}: {_show(path)}: an index below {len(target)}"]
            )
    elif not isinstance(target, dict):
        raise ScenarioError([f"{source}: --set {expression}: cannot set inside {_kind(target)}"])
    target[last] = value
    for kind in (document.values, document.keys):
        _drop(kind, path)
    document.values[path] = Origin(None, None, path, option=expression)
    document.keys[path] = Origin(None, None, path, option=expression)


# ------------------------------------------------------------------------------------ validating


_ERROR_TEXT = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "string_type": "a text",
    "bool_type": "true or false",
    "list_type": "a list like [a, b]",
    "dict_type": "a mapping of names to settings",
    "model_type": "a mapping of settings",
    "model_attributes_type": "a mapping of settings",
}


def _got(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, float) and math.isfinite(value):
        text = number_text(value)
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


_MISSING = object()


def _lookup(data: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return _MISSING
    return data


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows (``Annotated`` and ``Optional`` stripped)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        members: list[Any] = []
        for member in typing.get_args(annotation):
            if member is not type(None):
                members.extend(_unwrap(member))
        return members
    return [annotation]


def _model_tag(member: Any) -> str | None:
    if isinstance(member, type) and issubclass(member, BaseModel) and "dist" in member.model_fields:
        return member.model_fields["dist"].default
    return None


def _kind_of(member: Any) -> str:
    """The word pydantic uses for a union member in an error location (``list``, ``str``, ...)."""
    if isinstance(member, type) and issubclass(member, BaseModel):
        return member.__name__
    origin = typing.get_origin(member)
    if origin is typing.Literal:
        return "literal"
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(member, "__name__", str(member))


def _label_kind(element: str) -> str:
    return element.split("[", 1)[0].removeprefix("constrained-")


def _clean_location(loc: tuple) -> tuple[KeyPath, type[BaseModel] | None, tuple | None]:
    """Drop pydantic's union labels from *loc*. Returns the key path, the model class the path ends
    in (if one), and ``(union path, member kind)`` for the first union branch the location took."""
    path, candidates, branch = _walk(loc)
    models = [m for m in candidates if isinstance(m, type) and issubclass(m, BaseModel)]
    return path, (models[0] if len(models) == 1 else None), branch


def _expects_distribution(loc: tuple) -> bool:
    """Does *loc* lead to a distribution (a union of models tagged by ``dist``)?"""
    candidates = _walk(loc)[1]
    return bool(candidates) and all(_model_tag(member) for member in candidates)


def _walk(loc: tuple) -> tuple[KeyPath, list[Any], tuple | None]:
    """:func:`_clean_location`'s walk: the key path, the types it may end in, the first union branch."""
    path: list[str | int] = []
    candidates: list[Any] = [Scenario]
    branch = None
    for element in loc:
        if element == "[key]":
            continue
        if isinstance(element, str) and len(candidates) > 1:
            tags = {_model_tag(m): m for m in candidates if _model_tag(m)}
            if element in tags:
                candidates = [tags[element]]
                continue
            kinds = {_kind_of(m) for m in candidates}
            if _label_kind(element) in kinds:
                kind = _label_kind(element)
                candidates = [m for m in candidates if _kind_of(m) == kind]
                branch = branch or (tuple(path), kind)
                continue
        path.append(element)
        following: list[Any] = []
        for member in candidates:
            if isinstance(member, type) and issubclass(member, BaseModel):
                if element in member.model_fields:
                    following.extend(_unwrap(member.model_fields[element].annotation))
            elif typing.get_origin(member) is dict:
                following.extend(_unwrap(typing.get_args(member)[1]))
            elif typing.get_origin(member) is list:
                following.extend(_unwrap(typing.get_args(member)[0]))
        candidates = following
    return tuple(path), candidates, branch


def _matches_kind(value: Any, kind: str) -> bool:
    """Does a raw YAML value have the shape of a union member of this kind?"""
    if isinstance(value, bool):
        return kind == "bool"
    if isinstance(value, list):
        return kind == "list"
    if isinstance(value, dict):
        return kind == "dict" or kind[:1].isupper()
    if isinstance(value, str):
        return kind in ("str", "literal")
    if isinstance(value, (int, float)):
        return kind in ("int", "float")
    return False


def _fields_of(loc_without_last: tuple) -> list[str]:
    _, model, _ = _clean_location(loc_without_last)
    return list(model.model_fields) if model is not None else []


def _describe(error: dict, raw: Any) -> tuple[KeyPath, str, bool]:
    """(extra path, message, points at a key) for one pydantic error."""
    key_error = bool(error["loc"]) and error["loc"][-1] == "[key]"
    message, at_key, extra = _message(error, error.get("input") if raw is _MISSING or key_error else raw)
    return extra, message, at_key or key_error


def _message(error: dict, given: Any) -> tuple[str, bool, KeyPath]:
    """(what is allowed (got X), points at a key, extra path) for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required (missing)", False, ()
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        allowed = _fields_of(error["loc"][:-1])
        return (f"unknown key; allowed: {', '.join(allowed)}{suggestion(name, allowed)}"
                if allowed else "unknown key"), True, ()
    if kind == "union_tag_invalid":
        from sim.distributions import DIST_NAMES

        tag = str(ctx.get("tag"))
        return (f"one of {', '.join(DIST_NAMES)} (got {tag!r}){suggestion(tag, list(DIST_NAMES))}",
                False, ("dist",))
    if kind == "union_tag_not_found":
        from sim.distributions import DIST_NAMES

        return f"a distribution with 'dist': one of {', '.join(DIST_NAMES)} (got {_got(given)})", False, ()
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
                "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return f"must be {sign} {_got(bound)} (got {_got(given)})", False, ()
    if kind in ("too_short", "too_long"):
        size = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        words = "at least" if kind == "too_short" else "at most"
        if ctx.get("min_length") == ctx.get("max_length") or (
                isinstance(given, list) and kind == "too_short" and size == 48):
            words = "exactly"
        count = len(given) if isinstance(given, (list, dict)) else "?"
        return f"{words} {size} item(s) (got {count})", False, ()
    if kind == "string_too_short":
        return f"a non-empty name (got {_got(given)})", False, ()
    if kind == "string_pattern_mismatch":
        return f"a name of letters, digits, '_', '-', '.' and spaces (got {_got(given)})", False, ()
    if kind == "literal_error":
        names = [name.strip().strip("'") for name in
                 str(ctx.get("expected")).replace(" or ", ", ").split(",")]
        return f"one of {', '.join(names)} (got {_got(given)}){suggestion(str(given), names)}", False, ()
    if kind in _ERROR_TEXT:
        return f"{_ERROR_TEXT[kind]} (got {_got(given)})", False, ()
    message = error["msg"].removeprefix("Value error, ")
    if "(got" not in message:
        message = f"{message} (got {_got(given)})"
    return message, False, ()


def _not_a_distribution(given: Any) -> str:
    """What to write instead of a bare value where a distribution is expected (``fix_effort: 40h``)."""
    example = given if isinstance(given, (str, int, float)) and not isinstance(given, bool) else "5m"
    return f"a distribution such as {{dist: constant, value: {example}}} (got {_got(given)})"


def _validate(data: dict, origins: dict, source: str, label: str | None,
              base: dict | None = None) -> tuple[Scenario | None, list[tuple]]:
    try:
        return Scenario.model_validate(data), []
    except ValidationError as failure:
        plain: list[tuple[KeyPath, str, bool]] = []
        unions: dict[KeyPath, list[tuple[str, KeyPath, str, bool]]] = {}
        for error in failure.errors(include_url=False):
            path, _, branch = _clean_location(tuple(error["loc"]))
            cross = (error.get("ctx") or {}).get("error")
            if isinstance(cross, CrossCheckError):
                for sub_path, message in cross.problems:
                    where = path + tuple(sub_path)
                    plain.append((where, message, isinstance(_lookup(data, where), (dict, list))))
                continue
            extra, message, at_key = _describe(error, _lookup(data, path))
            if error["type"] in ("model_type", "model_attributes_type") and _expects_distribution(tuple(error["loc"])):
                message = _not_a_distribution(_lookup(data, path))
            where = path + extra
            at_key = at_key or isinstance(_lookup(data, where), (dict, list))
            if branch is None:
                plain.append((where, message, at_key))
            else:
                unions.setdefault(branch[0], []).append((branch[1], where, message, at_key))
        for union_path, errors in unions.items():
            plain.extend(_union_problems(union_path, errors, _lookup(data, union_path)))
        if base is not None:
            plain = _misspelt_members(plain, base)
        return None, [_locate(where, message, at_key, origins, source) for where, message, at_key in plain]


def _misspelt_members(plain: list[tuple[KeyPath, str, bool]], base: dict) -> list[tuple[KeyPath, str, bool]]:
    """A member a strategy's patch names that the base does not have (``incidents.outgae``), close to
    one it has, and lacking required keys: one line with a did-you-mean instead of one per key."""
    missing: dict[KeyPath, list[str]] = {}
    for where, message, _ in plain:
        if message == "required (missing)" and len(where) >= 3:
            missing.setdefault(where[:-1], []).append(str(where[-1]))
    misspelt: dict[KeyPath, str] = {}
    for member, keys in missing.items():
        members = _lookup(base, member[:-1])
        if isinstance(members, dict) and members and member[-1] not in members:
            names = [str(name) for name in members]
            close = suggestion(str(member[-1]), names)
            if close:
                misspelt[member] = (f"an existing member of {_show(member[:-1])}: one of {', '.join(names)} "
                                    f"(got '{member[-1]}'){close}; a new member would need {', '.join(keys)}")
    if not misspelt:
        return plain
    kept = [item for item in plain if not (item[1] == "required (missing)" and item[0][:-1] in misspelt)]
    return kept + [(member, message, True) for member, message in misspelt.items()]


def _union_problems(path: KeyPath, errors: list[tuple[str, KeyPath, str, bool]], raw: Any) -> list[tuple]:
    """Errors of a value that fits none of a union's members: those of the member shaped like the
    value, or else one line listing what every member allows."""
    fitting = [(where, message, at_key) for kind, where, message, at_key in errors if _matches_kind(raw, kind)]
    if fitting:
        return fitting
    allowed = []
    for _, _, message, _ in errors:
        text = message.rsplit(" (got ", 1)[0]
        if text not in allowed:
            allowed.append(text)
    return [(path, f"{' or '.join(allowed)} (got {_got(raw)})", False)]


def _locate(path: KeyPath, message: str, at_key: bool, origins: dict, source: str) -> tuple:
    """A sortable (line, column, text) for one mistake at *path*."""
    table = origins["keys"] if at_key and path in origins["keys"] else origins["values"]
    probe = path
    while probe not in table and probe:
        probe = probe[:-1]
    origin = table.get(probe) or origins["values"].get(())
    shown = origin.shown + path[len(probe):] if origin else path
    name = _show(shown) or "(top)"
    if origin is not None and origin.option is not None:
        return (math.inf, 0, f"{source}: --set {origin.option}: {name}: {message}")
    line = origin.line if origin else 1
    column = origin.column if origin else 1
    return (line, column, f"{source}:{line}:{column}: {name}: {message}")


def load_study(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Study:
    """Read, resolve and validate a scenario file; raise :class:`ScenarioError` on any mistake."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{source}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{source}: is a folder, not a scenario file"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{source}: not a text file (not UTF-8)"]) from None
    except OSError as error:
        raise ScenarioError([f"{source}: cannot read: {error.strerror}"]) from None
    return load_text(text, source, overrides)


def load_text(text: str, source: str = "<scenario>", overrides=()) -> Study:
    """Like :func:`load_study`, from YAML text (the name *source* appears in error lines)."""
    document = _parse(text, source)
    for expression in overrides:
        _apply_set(document, expression, source)
    data = document.data
    raw_strategies = data.pop("strategies", None)
    raw_sweep = data.pop("sweep", None)
    base_origins = {
        "values": {p: o for p, o in document.values.items() if not p or p[0] != "strategies"},
        "keys": {p: o for p, o in document.keys.items() if p[0] != "strategies"},
    }
    located: list[tuple] = []
    runs: list[tuple[str, dict, dict]] = []
    patches: dict[str, dict] = {}
    if raw_strategies is None:
        runs.append(("base", data, base_origins))
    elif not isinstance(raw_strategies, dict) or not raw_strategies:
        if isinstance(raw_strategies, dict):
            message = ("at least one strategy: a mapping of strategy names to patches (leave strategies out to "
                       "run the scenario once as base) (got an empty mapping)")
        else:
            message = f"a mapping of strategy names to patches (got {_kind(raw_strategies)})"
        located.append(_locate(("strategies",), message, True,
                               {"values": document.values, "keys": document.keys}, source))
    else:
        for name, patch in raw_strategies.items():
            root: KeyPath = ("strategies", name)
            if patch is None:
                patch = {}
            if not isinstance(name, str) or not name.strip():
                located.append(_locate(root, f"a strategy name (got {name!r})", True,
                                       {"values": document.values, "keys": document.keys}, source))
                continue
            if not isinstance(patch, dict):
                located.append(_locate(root, f"a mapping of keys to change (got {_kind(patch)})",
                                       False, {"values": document.values, "keys": document.keys},
                                       source))
                continue
            run_wide = [key for key in RUN_WIDE if key in patch]
            for key in run_wide:
                located.append(_locate(root + (key,), f"a run-wide setting: set it at the top level, not in a "
                                       f"strategy (every strategy runs with the same {', '.join(RUN_WIDE)}) "
                                       f"(got {_got(patch[key])})", True,
                                       {"values": document.values, "keys": document.keys}, source))
            if run_wide:
                continue
            merged = copy.deepcopy(data)
            origins = {"values": dict(base_origins["values"]), "keys": dict(base_origins["keys"])}
            _merge(merged, patch, origins, document, root)
            patches[name] = patch
            runs.append((name, merged, origins))
    sweep = None
    if raw_sweep is not None:
        sweep, problems = _validate_sweep(raw_sweep, document, source)
        located.extend(problems)
    strategies: dict[str, Scenario] = {}
    for name, merged, origins in runs:
        scenario, problems = _validate(merged, origins, source, name, base=data)
        located.extend(problems)
        if scenario is not None:
            strategies[name] = scenario
    if located:
        seen: set[str] = set()
        lines = []
        for _, _, text_line in sorted(located, key=lambda item: (item[0], item[1])):
            if text_line not in seen:
                seen.add(text_line)
                lines.append(text_line)
        raise ScenarioError(lines)
    return Study(source=source, strategies=strategies, base=data, patches=patches, sweep=sweep,
                 sweep_where=_sweep_places(sweep, document, source))


def _validate_sweep(raw: Any, document: _Document, source: str) -> tuple[Sweep | None, list[tuple]]:
    """The top-level ``sweep:`` section validated, or its mistakes as located lines."""
    origins = {"values": document.values, "keys": document.keys}
    try:
        return Sweep.model_validate(raw), []
    except ValidationError as failure:
        located = []
        for error in failure.errors(include_url=False):
            loc = tuple(part for part in error["loc"] if part != "[key]")
            cross = (error.get("ctx") or {}).get("error")
            if isinstance(cross, CrossCheckError):
                for sub_path, message in cross.problems:
                    located.append(_locate(("sweep", *loc, *sub_path), message, False, origins, source))
            elif error["type"] == "extra_forbidden":
                name, allowed = str(loc[-1]), list(Sweep.model_fields)
                located.append(_locate(("sweep", *loc), f"unknown key; allowed: {', '.join(allowed)}"
                                       f"{suggestion(name, allowed)}", True, origins, source))
            else:
                given = _lookup(raw, loc)
                message, _, extra = _message(error, error.get("input") if given is _MISSING else given)
                located.append(_locate(("sweep", *loc, *extra), message, False, origins, source))
        return None, located


def _sweep_places(sweep: Sweep | None, document: _Document, source: str) -> dict[str, str]:
    """``file:line:col`` (or ``file: --set ...``) of each ``sweep.vary`` entry."""
    places = {}
    for path in (sweep.vary if sweep is not None else {}):
        origin = document.values.get(("sweep", "vary", path))
        if origin is None or origin.option is not None:
            places[path] = f"{source}: --set {origin.option}" if origin is not None else source
        else:
            places[path] = f"{source}:{origin.line}:{origin.column}"
    return places
