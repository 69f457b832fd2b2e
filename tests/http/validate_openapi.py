#!/usr/bin/env python3
"""Validates an OpenAPI document (JSON file) against the OpenAPI 3.1 schema.

Usage: validate_openapi.py FILE
Exits 0 and prints "valid OpenAPI 3.1" when it is valid; else prints every error, exits 1.
Needs openapi-spec-validator (pip install openapi-spec-validator, or the Debian package
python3-openapi-spec-validator).
"""
import json
import sys

from openapi_spec_validator import OpenAPIV31SpecValidator


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        document = json.load(f)
    if document.get("openapi", "").split(".")[:2] != ["3", "1"]:
        print(f"not an OpenAPI 3.1 document: openapi = {document.get('openapi')!r}")
        return 1
    try:
        errors = list(OpenAPIV31SpecValidator(document).iter_errors())
    except Exception as e:  # an unresolvable $ref raises instead of yielding
        errors = [e]
    for error in errors:
        print(f"error: {error}"[:2000])
    if errors:
        return 1
    print("valid OpenAPI 3.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
