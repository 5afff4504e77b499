"""Property paths as the engine parses them (`tags.env`, `a["b.c"]`, `l[0]`), and its ignoreChanges reset."""

from __future__ import annotations

import copy
from typing import Any

from tests.engine.wire import Secret

PathElement = str | int


class PropertyPathError(ValueError):
    """Say that a property path does not parse."""


def parse(path: str) -> list[PathElement]:
    """Return the elements of a property path, after the engine's `resource.ParsePropertyPath`."""
    if path.startswith("."):
        raise PropertyPathError("expected property path to start with a name or index")
    elements: list[PathElement] = []
    rest = path
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                raise PropertyPathError("expected property path to end with a name or index")
        elif rest[0] == "[":
            element, rest = _parse_index(rest)
            elements.append(element)
        else:
            end = min((i for i in (rest.find("."), rest.find("[")) if i != -1), default=len(rest))
            elements.append(rest[:end])
            rest = rest[end:]
    return elements


def _parse_index(rest: str) -> tuple[PathElement, str]:
    """Return the element of a leading `[...]` and what follows it."""
    if rest.startswith('["'):
        key: list[str] = []
        i = 2
        while True:
            if i >= len(rest):
                raise PropertyPathError("missing closing quote in property name")
            if rest[i] == '"':
                i += 1
                break
            if rest[i] == "\\" and i + 1 < len(rest) and rest[i + 1] == '"':
                key.append('"')
                i += 2
            else:
                key.append(rest[i])
                i += 1
        if i >= len(rest) or rest[i] != "]":
            raise PropertyPathError("missing closing bracket in property access")
        return "".join(key), rest[i + 1 :]
    close = rest.find("]")
    if close == -1:
        raise PropertyPathError("missing closing bracket in array index")
    segment = rest[1:close]
    if segment == "*":
        return "*", rest[close + 1 :]
    try:
        return int(segment), rest[close + 1 :]
    except ValueError as err:
        raise PropertyPathError(f"invalid array index: {segment!r}") from err


def ignore_changes(
    news: dict[str, Any], olds: dict[str, Any], paths: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Return news with each ignored path reset to its old value, and the paths that could not be reset."""
    # The engine's `processIgnoreChanges`: a path present in olds takes the old value, a path absent
    # from olds is removed from news; a path that runs into an element added or removed is invalid.
    result = copy.deepcopy(news)
    invalid = []
    for text in paths:
        try:
            path = parse(text)
        except PropertyPathError:
            continue
        if not _reset(path, olds, result, old_secret=False, new_secret=False):
            invalid.append(text)
    return result, invalid


def _unwrap(value: Any) -> tuple[Any, bool]:
    secret = False
    while isinstance(value, Secret):
        value, secret = value.value, True
    return value, secret


def _mark(value: Any, old_secret: bool, new_secret: bool) -> Any:
    """Keep a value reset from a secret context secret where it lands outside one."""
    return Secret(value) if old_secret and not new_secret else value


def _reset(path: list[PathElement], old: Any, new: Any, old_secret: bool, new_secret: bool) -> bool:
    """Put the value at path in old back into new, in place; mirror the engine's `PropertyPath.reset`."""
    if not path:
        return False
    old, secret = _unwrap(old)
    old_secret = old_secret or secret
    new, secret = _unwrap(new)
    new_secret = new_secret or secret
    key, rest = path[0], path[1:]
    if isinstance(key, int):
        return _reset_index(key, rest, old, new, old_secret, new_secret)
    if key == "*":
        return _reset_all(rest, old, new, old_secret, new_secret)
    if not rest:
        if isinstance(old, dict) and key in old:
            if not isinstance(new, dict):
                return False
            new[key] = _mark(old[key], old_secret, new_secret)
        elif isinstance(new, dict):
            new.pop(key, None)
        return True
    if not isinstance(old, dict) or not isinstance(new, dict):
        return not isinstance(old, dict) and not isinstance(new, dict)
    if key in old and key not in new:
        return False
    if key not in old and key not in new:
        return True
    return _reset(rest, old.get(key), new.get(key), old_secret, new_secret)


def _reset_index(
    key: int, rest: list[PathElement], old: Any, new: Any, old_secret: bool, new_secret: bool
) -> bool:
    if key < 0:
        return False
    if not isinstance(old, list) or not isinstance(new, list):
        return not isinstance(old, list) and not isinstance(new, list)
    if not rest:
        if key >= len(old) and key >= len(new):
            return True
        if key >= len(old) or key >= len(new):
            return False
        new[key] = _mark(old[key], old_secret, new_secret)
        return True
    if key >= len(old) or key >= len(new):
        return False
    return _reset(rest, old[key], new[key], old_secret, new_secret)


def _reset_all(rest: list[PathElement], old: Any, new: Any, old_secret: bool, new_secret: bool) -> bool:
    if not rest:
        if isinstance(new, dict):
            if isinstance(old, dict):
                for k, v in old.items():
                    new[k] = _mark(v, old_secret, new_secret)
                for k in [k for k in new if k not in old]:
                    del new[k]
            return True
        if isinstance(new, list):
            if isinstance(old, list):
                for i, v in enumerate(old[: len(new)]):
                    new[i] = _mark(v, old_secret, new_secret)
                return len(old) == len(new)
            return True
        return False
    if isinstance(old, dict) and isinstance(new, dict):
        return all(k in new and _reset(rest, v, new[k], old_secret, new_secret) for k, v in old.items())
    if isinstance(old, list) and isinstance(new, list):
        ok = all(_reset(rest, o, n, old_secret, new_secret) for o, n in zip(old, new, strict=False))
        return ok and len(old) == len(new)
    return False
