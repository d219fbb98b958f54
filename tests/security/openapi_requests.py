"""Requests built from the app's OpenAPI document: every operation, its path filled with chosen ids, a
minimal valid JSON body (id-like fields pointing at chosen objects) and its required query parameters."""

from dataclasses import dataclass
from typing import Any

from sprawa.platform.ids import new_id

_SAMPLE_STRINGS = {
    "email": "matrix@example.pl",
    "date-time": "2026-01-05T10:00:00Z",
    "date": "2026-01-05",
    "uri": "https://example.com/hook",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # template, e.g. /api/v1/cases/{case_id}
    path_params: tuple[tuple[str, dict[str, Any]], ...]  # name and schema
    query: tuple[tuple[str, dict[str, Any]], ...]  # required query params with their schemas
    body: dict[str, Any] | None  # JSON schema of the body, if any


def operations(openapi: dict[str, Any]) -> list[Operation]:
    ops = []
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = op.get("parameters", [])
            path_params = tuple((p["name"], p.get("schema", {})) for p in params if p["in"] == "path")
            query = tuple(
                (p["name"], p.get("schema", {}))
                for p in params
                if p["in"] == "query" and (p.get("required") or p["name"] in ("q", "case_id"))
            )
            content = (op.get("requestBody") or {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            ops.append(Operation(method.upper(), path, path_params, query, body))
    return ops


class BodyMaker:
    """A minimal instance of a JSON schema; ``ids`` fills fields named like ``case_id``/``case_ids``."""

    def __init__(self, openapi: dict[str, Any], ids: dict[str, str]) -> None:
        self.components = openapi.get("components", {}).get("schemas", {})
        self.ids = ids

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def id_for(self, name: str) -> str:
        key = name.removesuffix("s") if name.endswith("_ids") else name
        return self.ids.get(key, new_id())

    def make(self, schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
        schema = self._resolve(schema)
        if depth > 6:
            return None
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self._resolve(s) for s in schema[key]]
                options = [s for s in options if s.get("type") != "null"] or options
                return self.make(options[0], name, depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part))
            return self.make(merged, name, depth + 1)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None and not name.endswith("_id"):
            return schema["default"]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            required = set(schema.get("required", []))
            wanted = [k for k in props if k in required or k.endswith("_id") or k.endswith("_ids")]
            return {k: self.make(props[k], k, depth + 1) for k in wanted}
        if kind == "array":
            return [self.make(schema.get("items", {}), name, depth + 1)] * max(1, schema.get("minItems", 1))
        if kind == "integer":
            return max(schema.get("minimum", 1), 1)
        if kind == "number":
            return float(max(schema.get("minimum", 1), 1))
        if kind == "boolean":
            return True
        if name.endswith("_id") or name.endswith("_ids"):
            return self.id_for(name)
        value = _SAMPLE_STRINGS.get(schema.get("format", ""), "matrix")
        return value.ljust(schema.get("minLength", 0), "x")


def fill_path(op: Operation, ids: dict[str, str], maker: BodyMaker) -> str:
    """The path with id parameters from ``ids`` (a fresh, guessed id when unknown) and others made up."""
    path = op.path
    for name, schema in op.path_params:
        value = ids.get(name) or (new_id() if _is_id(name, schema) else str(maker.make(schema, name)))
        path = path.replace("{" + name + "}", value)
    return path


def _is_id(name: str, schema: dict[str, Any]) -> bool:
    return name.endswith("_id") or name.endswith("_key") or ("enum" not in schema and "$ref" not in schema)


def id_params(op: Operation) -> list[str]:
    """Path parameters naming an object (not an enum such as a policy kind)."""
    return [name for name, schema in op.path_params if _is_id(name, schema)]
