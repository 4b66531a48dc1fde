"""Small builders for the JSON schemas of the providers' shapes, and a checker.

Objects built with `obj` are closed (``additionalProperties: false``): the providers' documents list
every key they send, so a key the emulator invents is a fidelity bug too.

    >>> errors(obj({"id": STR}, {"note": null(STR)}), {"id": "a", "extra": 1})
    ["$: Additional properties are not allowed ('extra' was unexpected)"]
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}
BOOL: dict[str, Any] = {"type": "boolean"}
DATE: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
}


def pattern(regex: str) -> dict[str, Any]:
    """A string matching ``regex``."""
    return {"type": "string", "pattern": regex}


def enum(*values: str) -> dict[str, Any]:
    """One of ``values``."""
    return {"enum": list(values)}


def null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or JSON ``null``."""
    return {"anyOf": [schema, {"type": "null"}]}


def arr(items: dict[str, Any]) -> dict[str, Any]:
    """An array of ``items``."""
    return {"type": "array", "items": items}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """A closed object: every key of ``required`` present, the keys of ``optional`` allowed, no others."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": sorted(required),
        "additionalProperties": False,
    }


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """What's wrong with ``instance`` (empty: it validates), each as ``<json path>: <reason>``."""
    validator = Draft202012Validator(schema)
    found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in found]
