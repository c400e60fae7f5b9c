"""Ten small collections cost little memory over one: the models are loaded once for all of them.
`pytest -s tests/speed/test_collections_memory.py` prints the figures (eval/BENCHMARKS.md, "Collections")."""

import re

import httpx
import pytest

from tests.servers import groundqa_server

pytestmark = pytest.mark.slow
KEY = "memory-key"
ADMIN = {"X-API-Key": KEY}
BUDGET_MB = 50


def resident_mb(url: str) -> float:
    metrics = httpx.get(url + "/metrics").text
    return float(re.search(r"^process_resident_memory_bytes (\S+)$", metrics, re.M).group(1)) / 2**20


def fill(http, url, name):
    assert http.post(f"{url}/v1/collections", headers=ADMIN, json={"name": name}).status_code == 201
    for number in range(5):
        text = (f"Handbook {name}, page {number}. The {name} office opens at {7 + number} am. "
                f"Parking permits for {name} are issued by desk {number}. ") * 4
        assert http.post(f"{url}/v1/collections/{name}/documents", headers=ADMIN,
                         json={"doc_id": f"page-{number}", "text": text}).status_code == 201
    answer = http.post(f"{url}/v1/collections/{name}/ask", json={"question": f"When does the {name} office open?"})
    assert answer.status_code == 200 and not answer.json()["no_answer"], answer.text


def test_ten_small_collections_cost_under_50_mb_over_one(tmp_path):
    env = {"GROUNDQA_INDEX_DIR": str(tmp_path / "index"), "GROUNDQA_API_KEY": KEY,
           "GROUNDQA_RATE_LIMIT_PER_MINUTE": "0", "GROUNDQA_MALLOC_ARENAS": "2"}
    with groundqa_server(env) as (url, _), httpx.Client(timeout=120) as http:
        fill(http, url, "c00")
        one = resident_mb(url)
        for number in range(1, 11):
            fill(http, url, f"c{number:02d}")
        eleven = resident_mb(url)
        listed = http.get(f"{url}/v1/collections", headers=ADMIN).json()["collections"]
    assert len(listed) == 12  # the default one and c00..c10
    print(f"\nresident memory: one collection {one:.0f} MB, eleven {eleven:.0f} MB: "
          f"ten more cost {eleven - one:.1f} MB ({(eleven - one) / 10:.1f} MB each)")
    assert eleven - one < BUDGET_MB
