"""The published OpenAPI document keeps v1's contract.

`fixtures/api/openapi_v1_before.json` is the document `/api/v1/openapi.json` served before the
API moved to ninja, when it was written by hand. Clients generated their code from it, so the
document served now must describe the same requests and answers: the same paths and methods,
operation ids, parameters, body and response fields, their types, and which are required.
Descriptions, titles, examples and the layout of `$ref`s may differ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

BEFORE = Path(__file__).parent / "fixtures" / "api" / "openapi_v1_before.json"
METHODS = {"get", "post", "put", "patch", "delete"}
# Limits v1 already enforced but did not write down; the document now says them.
NEWLY_DOCUMENTED = {("email", "maxLength"), ("phone", "maxLength")}


def resolve(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def types_of(document: dict, schema: dict) -> set[str]:
    """Every JSON type a schema allows, however it spells it (a list, anyOf, oneOf, enum)."""
    schema = resolve(document, schema)
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(declared)
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            found |= types_of(document, option)
    if not found and "enum" in schema:
        found = {
            "null" if v is None else type(v).__name__.replace("str", "string")
            for v in schema["enum"]
        }
    if "properties" in schema:
        found.add("object")
    return found


def shape(document: dict, schema: dict, depth: int = 0) -> Any:
    """What a client relies on in a schema: types, enums, fields, required fields, and
    whether unknown fields are refused."""
    schema = resolve(document, schema)
    if depth > 6:
        return "…"
    result: dict[str, Any] = {"types": sorted(types_of(document, schema))}
    options = [resolve(document, o) for key in ("anyOf", "oneOf") for o in schema.get(key, [])]
    objects = [o for o in [schema, *options] if "properties" in o]
    if objects:
        (obj,) = objects
        result["properties"] = {
            name: shape(document, value, depth + 1) for name, value in obj["properties"].items()
        }
        result["required"] = sorted(obj.get("required", []))
        result["closed"] = obj.get("additionalProperties") is False
    arrays = [o for o in [schema, *options] if "items" in o]
    if arrays:
        result["items"] = shape(document, arrays[0]["items"], depth + 1)
    enums = [o["enum"] for o in [schema, *options] if "enum" in o]
    if enums:
        result["enum"] = sorted(str(v) for v in enums[0])
    for bound in ("minimum", "maximum", "maxLength", "maxItems", "minProperties"):
        if bound in schema:
            result[bound] = schema[bound]
        for option in options:
            if bound in option:
                result[bound] = option[bound]
    return result


def operations(document: dict) -> dict[tuple[str, str], dict]:
    """Each operation as a client sees it, with path-level parameters and the document's
    default security folded in."""
    found = {}
    schemes = document.get("components", {}).get("securitySchemes", {})
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method not in METHODS:
                continue
            parameters = {}
            for parameter in [*shared, *operation.get("parameters", [])]:
                parameter = resolve(document, parameter)
                parameters[(parameter["in"], parameter["name"])] = {
                    "required": bool(parameter.get("required")),
                    "schema": shape(document, parameter["schema"]),
                }
            body = resolve(document, operation.get("requestBody", {}))
            responses = {}
            for status, response in operation["responses"].items():
                response = resolve(document, response)
                responses[str(status)] = {
                    "content": {
                        media: shape(document, content.get("schema", {}))
                        for media, content in response.get("content", {}).items()
                    },
                    "headers": sorted(response.get("headers", {})),
                }
            security = operation.get("security", document.get("security", []))
            found[(path, method)] = {
                "operationId": operation.get("operationId"),
                "security": [
                    {schemes[name]["type"]: schemes[name].get("scheme") for name in requirement}
                    for requirement in security
                ],
                "parameters": parameters,
                "body": {
                    "required": bool(body.get("required")),
                    "content": {
                        media: shape(document, content["schema"])
                        for media, content in body.get("content", {}).items()
                    },
                },
                "responses": responses,
            }
    return found


def without_newly_documented(body: dict) -> dict:
    body = json.loads(json.dumps(body))
    for content in body["content"].values():
        for name, bound in NEWLY_DOCUMENTED:
            content.get("properties", {}).get(name, {}).pop(bound, None)
    return body


def loosen_response_required(before: Any, after: Any) -> Any:
    """v1's hand-written response schemas listed no required fields, though every answer
    always had all of them; ninja lists them. A field the server always sends becoming
    `required` in a response is not a change a client can notice, so it is not counted.
    (In request bodies it would be, and there it is compared strictly.)"""
    if isinstance(before, dict) and isinstance(after, dict):
        after = dict(after)
        if "required" in before and "required" in after and not before["required"]:
            after["required"] = []
        return {
            key: loosen_response_required(before.get(key), value) for key, value in after.items()
        }
    return after


@pytest.fixture
def documents(client_for, agency_a) -> tuple[dict, dict]:
    response = client_for(agency_a).get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(BEFORE.read_text()), response.json()


def test_the_same_operations_at_the_same_paths(documents):
    before, after = documents

    assert sorted(operations(after)) == sorted(operations(before))
    assert after["servers"] == before["servers"]
    assert after["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/leads/", "get"),
        ("/leads/", "post"),
        ("/leads/{lead_id}/", "get"),
        ("/leads/{lead_id}/", "patch"),
        ("/openapi.json", "get"),
    ],
)
def test_each_operation_takes_and_gives_the_same(documents, path, method):
    before, after = (operations(document)[(path, method)] for document in documents)

    assert after["operationId"] == before["operationId"]
    assert after["security"] == before["security"]
    assert after["parameters"] == before["parameters"]
    assert without_newly_documented(after["body"]) == before["body"]
    assert set(after["responses"]) == set(before["responses"])
    for status, answer in before["responses"].items():
        if answer["content"] == {"application/json": {"types": ["object"]}}:
            # The document describing itself: any object then, any object now.
            assert "object" in after["responses"][status]["content"]["application/json"]["types"]
            continue
        assert loosen_response_required(answer, after["responses"][status]) == answer, status


def test_the_error_codes_are_the_same(documents):
    before, after = documents

    def codes(document: dict) -> list[str]:
        error = resolve(document, document["components"]["schemas"]["Error"])
        detail = resolve(document, error["properties"]["error"])
        return resolve(document, detail["properties"]["code"])["enum"]

    assert codes(after) == codes(before)
