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


BACKUP = UNIT.with_name("voipdown-backup.service")
TIMER = UNIT.with_name("voipdown-backup.timer")


def test_the_nightly_backup_units_are_valid_and_share_the_services_user(tmp_path):
    voipdown = Path(sys.executable).with_name("voipdown")
    for unit in (UNIT, BACKUP, TIMER):
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/voipdown/venv/bin/voipdown", str(voipdown)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / BACKUP.name), str(tmp_path / TIMER.name)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    backup, service = BACKUP.read_text(), UNIT.read_text()
    # The service's dynamic user is named after its unit; the backup's User= names the same one.
    assert not re.search(r"^User=", service, re.M) and re.search(r"^User=voipdown$", backup, re.M)
    assert "DynamicUser=yes" in backup
    assert "StateDirectory=voipdown voipdown-backups" in backup and "Environment=XDG_STATE_HOME=%S" in backup
    assert "ExecStart=/opt/voipdown/venv/bin/voipdown backup /var/lib/voipdown-backups/voipdown" in backup
    assert "OnCalendar=" in TIMER.read_text() and "Persistent=yes" in TIMER.read_text()
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(tmp_path / BACKUP.name)],
        capture_output=True,
        text=True,
        check=False,
    )
    exposure = float(re.search(r"Overall exposure level for voipdown-backup.service: ([0-9.]+)", security.stdout)[1])
    assert exposure <= 1.5, security.stdout
