"""The JSON Schema of the content files, generated from the key tables of
:mod:`outreach.flowfile.spec`, so editors complete and check what the loader accepts."""

from __future__ import annotations

import json
from typing import Any

from outreach.flowfile import spec

_ID_PATTERN = "^[a-z][a-z0-9_]*$"


def _value(key: spec.Key) -> dict[str, Any]:
    if key.kind is spec.Kind.ID:
        schema: dict[str, Any] = {"type": "string", "pattern": _ID_PATTERN}
        if key.choices:
            schema = {"enum": list(key.choices)}
    elif key.kind is spec.Kind.TEXT:
        schema = {"type": "string", "minLength": 1}
    elif key.kind is spec.Kind.WORDS:
        schema = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    elif key.kind is spec.Kind.SWITCH:
        schema = {"oneOf": [{"type": "boolean"}, {"type": "array", "items": {"type": "string"}}]}
    elif key.kind is spec.Kind.BOOL:
        schema = {"type": "boolean"}
    elif key.kind is spec.Kind.INT:
        schema = {"type": "integer"}
    elif key.kind is spec.Kind.DATE:
        schema = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    elif key.kind is spec.Kind.OBJECT:
        schema = {"$ref": f"#/$defs/{key.of}"}
    elif key.kind is spec.Kind.LIST:
        schema = {"type": "array", "minItems": 1, "items": {"$ref": f"#/$defs/{key.of}"}}
    else:
        schema = {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": _ID_PATTERN},
            "additionalProperties": {"$ref": f"#/$defs/{key.of}"},
        }
    return {**schema, "description": key.help}


def _object(table: dict[str, spec.Key], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: _value(key) for name, key in table.items()},
        "required": [name for name, key in table.items() if key.required],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def content_schema() -> dict[str, Any]:
    defs = {name: _object(table) for name, table in spec.TABLES.items()}
    node_variants = []
    for node_type, table in spec.NODE.items():
        variant = _object(table, f"A {node_type} node.")
        variant["properties"]["type"] = {"const": node_type, "description": table["type"].help}
        node_variants.append(variant)
    defs["node"] = {"oneOf": node_variants}
    # A check may also be written as one word: yes_no or text.
    defs["check"] = {"oneOf": [{"enum": ["yes_no", "text"]}, defs["check"]]}
    # YAML dates are written bare; editors' YAML parsers read them as strings.
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "outreach content file (flow, deployment or list)",
        "oneOf": [{"$ref": f"#/$defs/{kind}"} for kind in spec.FILE_KINDS],
        "$defs": defs,
    }


def content_schema_json() -> str:
    return json.dumps(content_schema(), indent=2, ensure_ascii=False) + "\n"
