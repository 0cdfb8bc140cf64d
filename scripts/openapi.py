"""Write the REST API's OpenAPI document and the frontend's TypeScript types generated from it.

Usage: .venv/bin/python scripts/openapi.py [--check]   (or, in frontend/: npm run -s openapi)
Writes frontend/openapi.json (the app's document, output-mode schemas for responses) and
frontend/src/api/schema.ts (generated from that file by openapi-typescript, the generator pinned in
frontend/package-lock.json and installed by `npm ci`); with --check, only verifies that both are up to
date (the test suite runs this so the frontend's types cannot drift from the API).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from nora.api.app import create_app
from nora.core.settings import Settings

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
JSON_OUT = FRONTEND / "openapi.json"
TS_OUT = FRONTEND / "src" / "api" / "schema.ts"
#: openapi-typescript needs TypeScript 5's compiler API; it lives in its own package beside the page's TS 7
GENERATOR = FRONTEND / "tools" / "openapi-gen" / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
#: each schema also under its own name (``ProjectOut``, ``BatchDefInput``); a default makes a field optional
#: only in requests (responses are output-mode schemas, where such fields are required)
FLAGS = ("--root-types", "--root-types-no-schema-prefix", "--default-non-nullable=false")


def openapi_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(home=Path(tmp), database_url=f"sqlite:///{tmp}/x.sqlite"))
        return app.openapi()


def document_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def typescript(document: Path) -> str:
    """The TypeScript types of the document at ``document``, as openapi-typescript writes them."""
    node = shutil.which("node")
    if node is None or not GENERATOR.is_file():
        raise SystemExit(f"openapi-typescript is not installed ({GENERATOR}): run 'npm ci' in frontend/")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "schema.ts"
        run = subprocess.run(
            [node, str(GENERATOR), str(document), *FLAGS, "--output", str(out)],
            capture_output=True,
            text=True,
            cwd=FRONTEND,
        )
        if run.returncode != 0:
            raise SystemExit(f"openapi-typescript failed:\n{run.stdout}{run.stderr}")
        return out.read_text()


def main(argv: list[str]) -> int:
    text = document_text(openapi_document())
    with tempfile.TemporaryDirectory() as tmp:
        document = Path(tmp) / "openapi.json"
        document.write_text(text)
        expected = {JSON_OUT: text, TS_OUT: typescript(document)}
    if "--check" in argv:
        stale = [str(p) for p, content in expected.items() if not p.is_file() or p.read_text() != content]
        if stale:
            print(f"out of date: {', '.join(stale)}; run scripts/openapi.py", file=sys.stderr)
            return 1
        return 0
    for path, content in expected.items():
        path.write_text(content)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
