#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-json.py SCHEMA FILE... - validate JSON documents against a schema.

Each FILE ("-" for standard input) must hold exactly one JSON document that
the schema accepts. Every violation is printed as FILE: PATH: MESSAGE, so a
failing test says which field broke which rule. Exit status: 0 when every
file is valid, 1 when one is not (or is not JSON), 2 on a bad schema or
usage. The schema's own "$schema" picks the draft (2020-12, 2019-09, 7...).
"""
import json
import sys

import jsonschema


def load(path):
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def where(error):
    return "/" + "/".join(str(p) for p in error.absolute_path)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    try:
        schema = load(argv[1])
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"{argv[1]}: not a usable schema: {e}", file=sys.stderr)
        return 2
    validator = cls(schema)
    bad = 0
    for path in argv[2:]:
        try:
            doc = load(path)
        except (OSError, ValueError) as e:
            print(f"{path}: not JSON: {e}", file=sys.stderr)
            bad += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors:
            print(f"{path}: {where(e)}: {e.message}", file=sys.stderr)
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
