"""docs/deploy/voipdown.service, as systemd reads it: valid, and sandboxed."""

import re
import subprocess
import sys
from pathlib import Path

UNIT = Path(__file__).parent.parent / "docs" / "deploy" / "voipdown.service"


def installed_unit(tmp_path) -> Path:
    """The unit with its ExecStart pointing at this environment's voipdown (verify checks it exists)."""
    voipdown = Path(sys.executable).with_name("voipdown")
    unit = tmp_path / "voipdown.service"
    unit.write_text(UNIT.read_text().replace("/opt/voipdown/venv/bin/voipdown", str(voipdown)))
    return unit


def test_the_unit_is_valid_and_runs_the_documented_command(tmp_path):
    unit = installed_unit(tmp_path)
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    text = UNIT.read_text()
    for line in (
        "DynamicUser=yes",
        "StateDirectory=voipdown",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "EnvironmentFile=-/etc/voipdown/voipdown.env",
    ):
        assert line in text, line
    assert "ExecStart=/opt/voipdown/venv/bin/voipdown serve" in text


def test_the_units_exposure_is_the_documented_one(tmp_path):
    """`systemd-analyze security`'s overall exposure (0 best, 10 worst) is at most the figure docs/deploy.md gives."""
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(installed_unit(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    exposure = float(re.search(r"Overall exposure level for voipdown.service: ([0-9.]+)", done.stdout).group(1))
    documented = re.search(r"exposure level (\d+\.\d+)", (UNIT.parent.parent / "deploy.md").read_text())
    assert documented, "docs/deploy.md gives the unit's exposure"
    assert exposure <= float(documented.group(1)) <= 2.0, exposure
