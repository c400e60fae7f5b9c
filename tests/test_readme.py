"""The README's HTTP walk-through, taken from README.md as it stands and run against a real server."""

import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO
from tests.servers import groundqa_server

pytestmark = pytest.mark.slow


def walkthrough_commands() -> list[str]:
    """The shell commands of the first bash block under "## Asking over HTTP", one per command."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Asking over HTTP", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands, current = [], ""
    for line in block.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            commands.append(current.split("  # ", 1)[0].strip())
            current = ""
    return [command for command in commands if "make serve" not in command]


def test_the_readme_walkthrough_works_as_written(real_settings, corpus_pipeline, tmp_path):
    commands = walkthrough_commands()
    assert len(commands) >= 12 and all("localhost:8000" in c or c.startswith("printf") for c in commands), commands
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    outputs = []
    with groundqa_server({"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": "change-me"}) as (url, _):
        for command in commands:
            run = subprocess.run(["bash", "-c", command.replace("localhost:8000", url.removeprefix("http://"))],
                                 cwd=tmp_path, capture_output=True, text=True, timeout=120)
            assert run.returncode == 0, (command, run.stderr)
            outputs.append(json.loads(run.stdout) if run.stdout.strip() else None)
    by_command = dict(zip(commands, outputs))

    def answer_to(fragment: str, nth: int = 0):
        matching = [out for command, out in zip(commands, outputs) if fragment in command and "/v1/ask" in command]
        return matching[nth]

    assert answer_to("president of Microsoft")["answers"][0]["text"] == "Brad Smith"
    assert answer_to("head of security")["answers"][0]["text"] == "Dana Whitfield"
    assert answer_to("head of security", 1)["no_answer"] is True  # asked again after the DELETE
    uploaded = next(out for command, out in by_command.items() if "file=@" in command)
    assert uploaded["doc_id"] == "handbook.txt" and uploaded["status"] == "added"
    patched = next(out for command, out in by_command.items() if "PATCH" in command)
    assert patched["status"] == "updated" and patched["dropped"] == []
    shown = next(out for command, out in by_command.items() if command.endswith("/v1/documents/faq/returns"))
    assert shown["title"] == "Returns" and shown["meta"] == {"lang": "en"} and "60 days" in shown["text"]
    filtered = answer_to('"lang": "en"')
    assert filtered["answers"] and filtered["answers"][0]["text"] == "within 60 days"  # a deadline
    replaced = next(out for command, out in by_command.items() if "-X PUT" in command)
    assert replaced["status"] == "updated" and replaced["dropped"] == ["meta.lang"]
