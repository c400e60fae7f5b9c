"""The install puts one package, groundqa, into site-packages; the repository's folders map into it."""

import subprocess
import sys
import tempfile
from importlib.metadata import distribution


def test_one_top_level_package():
    assert distribution("groundqa").read_text("top_level.txt").split() == ["groundqa"]


def test_generic_names_are_not_importable_outside_the_repository():
    with tempfile.TemporaryDirectory() as elsewhere:
        probe = subprocess.run([sys.executable, "-c", "import groundqa.index, groundqa.service.api, groundqa.eval\n"
                                "import importlib.util as u\n"
                                "print([n for n in ('index', 'service', 'eval') if u.find_spec(n)])"],
                               cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"
