"""The Pythons prepbot supports, as found on this machine: content code must run on each.

A supported version that is not installed is reported with a warning naming it, never
skipped silently; CI covers what its machine has.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

SUPPORTED = ((3, 11), (3, 12), (3, 13))


class InterpreterMissing(UserWarning):
    """A supported Python is not on this machine, so its outputs went unchecked."""


def find_interpreters() -> dict[tuple[int, int], str]:
    """sys.executable plus each supported version found on the machine."""
    found = {tuple(sys.version_info[:2]): sys.executable}
    pyenv_roots = {"/root/.pyenv", os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))}
    for major, minor in SUPPORTED:
        if (major, minor) in found:
            continue
        candidates = [
            exe
            for root in sorted(pyenv_roots)
            for exe in sorted(glob.glob(f"{root}/versions/{major}.{minor}.*/bin/python"))
        ]
        which = shutil.which(f"python{major}.{minor}")
        if which:
            candidates.append(which)
        for exe in candidates:
            if _version_of(exe) == (major, minor):
                found[(major, minor)] = exe
                break
    return found


def _version_of(exe: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [exe, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = done.stdout.split()
    return (int(parts[0]), int(parts[1])) if done.returncode == 0 and len(parts) == 2 else None
