"""What the OpenAPI schema says about errors: every operation may answer with the product's error body
{"error": {"code", "message", "fields"}} (apps.core.exceptions) and these statuses, which views do not
declare one by one. A drf-spectacular post-processing hook."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERRORS = {
    "400": "The request is not valid (bad JSON or fields; `fields` says which).",
    "401": "No or an invalid token.",
    "403": "Not allowed for this user or role.",
    "404": "No such object (or no contact center at this host).",
    "409": "The object's state does not allow this now.",
    "429": "Too many requests; try again later.",
}


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method.startswith("x-") or not isinstance(operation, dict) or "responses" not in operation:
                continue
            # Bodies are documented as JSON where JSON is accepted; DRF's form parsers also take them,
            # but that is not the contract (and daphne's HTTP layer answers a malformed multipart body
            # itself, with a bare 400, before the application sees it).
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for form in FORM_TYPES:
                    content.pop(form, None)
            responses = operation["responses"]
            for status, description in ERRORS.items():
                existing = responses.get(status)
                if existing is None or "content" not in existing:
                    text = existing.get("description", description) if existing else description
                    responses[status] = {"description": text, "content": {"application/json": {"schema": ref}}}
    return result
