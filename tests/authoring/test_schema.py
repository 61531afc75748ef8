"""The JSON Schema editors use must accept what the loader accepts."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import FLOWS

SCHEMA = json.loads((FLOWS / "schema.json").read_text(encoding="utf-8"))
INT = re.compile(r"^-?\d+$")


def as_yaml_12(node: yaml.Node) -> Any:
    """Data as a YAML 1.2 editor sees it (only true/false are booleans; dates are text)."""
    if isinstance(node, yaml.MappingNode):
        return {k.value: as_yaml_12(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [as_yaml_12(v) for v in node.value]
    if node.style is None and node.value in ("true", "false"):
        return node.value == "true"
    if node.style is None and INT.match(node.value):
        return int(node.value)
    return node.value


CONTENT = sorted(FLOWS.glob("*.yaml"))


@pytest.mark.parametrize("path", CONTENT, ids=lambda p: p.name)
def test_shipped_content_matches_the_schema(path: Any) -> None:
    data = as_yaml_12(yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader))
    jsonschema.validate(data, SCHEMA)


def test_the_schema_rejects_an_unknown_key() -> None:
    data = as_yaml_12(
        yaml.compose((FLOWS / "main.yaml").read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    )
    data["nodes"]["menu"]["optinos"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
