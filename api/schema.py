"""How the OpenAPI schema (drf-spectacular) describes the token authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (/api/tokens/): kc_…",
        }


# The errors every call may answer, documented on every operation so that
# each response a client can get is in the schema (checked by schemathesis).
ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
INVALID = {
    "type": "object",
    "description": "The fields refused, each with its messages.",
    "additionalProperties": True,
}
ERRORS = {
    "400": ("The request's data was refused; nothing was changed.", "Invalid"),
    "401": ("No valid token (or session).", "Error"),
    "403": ("The caller's rights do not allow this call.", "Error"),
    "404": ("No such row among those the caller may see.", "Error"),
    "429": ("Too many calls with this token; wait (Retry-After).", "Error"),
}


def error_responses(result, generator, request, public):
    """Add the error answers to every operation (a postprocessing hook)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("Invalid", INVALID)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, (description, name) in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{name}"}
                            }
                        },
                    },
                )
    return result
