"""Schemathesis against the OpenAPI spec of a real server: no 5xx, every response as documented.

Bounded for CI by GROUNDQA_FUZZ_EXAMPLES (default 15 per operation); RELIABILITY.md gives the long run.
"""

import os
import shutil
import subprocess
import sys

import httpx
import pytest

from tests.servers import groundqa_server

pytestmark = pytest.mark.slow
KEY = "fuzz-key-1234"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")


def test_api_conforms_to_its_spec_under_fuzzing(real_settings, corpus_pipeline, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    env = {"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": KEY, "GROUNDQA_RATE_LIMIT_PER_MINUTE": "0",
           "GROUNDQA_FEEDBACK_PER_HOUR": "0"}  # the fuzzer's verdicts reach the store, not the quota
    with groundqa_server(env) as (url, _):
        run = subprocess.run(
            [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()", "run", f"{url}/openapi.json", "--checks", CHECKS,
             "--max-examples", os.environ.get("GROUNDQA_FUZZ_EXAMPLES", "15"), "--header", f"X-API-Key: {KEY}",
             "--request-timeout", "60", "--seed", "1", "--no-color", "--generation-database", "none",
             # A health check on the generator (the {doc_id:path} parameter rejects many generated
             # strings before any request is made), not on the API.
             "--suppress-health-check", "filter_too_much"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        documents = httpx.get(f"{url}/v1/documents?limit=1000").json()
    assert run.returncode == 0, run.stdout[-6000:]
    assert " passed" in run.stdout and "failed" not in run.stdout.split("SUMMARY")[-1]
    # The fuzzer's writes went through the real write path: the index is still readable and consistent.
    assert documents["total"] == len(documents["documents"]) >= 1
