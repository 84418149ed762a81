"""`dg check defs` (the dg CLI, as CI runs it) loads the code location from pyproject's [tool.dg] settings.

Contract: with an account configured (emulator-only demo credentials: loading makes no request), the
command exits 0 and says every definition loaded; without one it fails, so the check can fail.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, DEMO_SUBDOMAIN
from zendesk_assets_tests.processes import BIN

REPO = Path(__file__).resolve().parents[1]


def _dg_check(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "home" / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env.update(DAGSTER_HOME=str(tmp_path / "home"), **settings)
    return subprocess.run(
        [str(BIN / "dg"), "check", "defs"], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )


def test_dg_check_defs_loads_the_code_location(tmp_path: Path) -> None:
    ok = _dg_check(tmp_path, ZENDESK_SUBDOMAIN=DEMO_SUBDOMAIN, ZENDESK_OAUTH_TOKEN=DEMO_OAUTH_TOKEN)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "All definitions loaded successfully" in ok.stdout + ok.stderr
    broken = _dg_check(tmp_path)  # no account configured
    assert broken.returncode != 0
    assert "no Zendesk account is configured" in broken.stdout + broken.stderr
