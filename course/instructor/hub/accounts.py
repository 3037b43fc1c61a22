"""Linux accounts for a course hub: one per instructor and per student, each with a private home.

The hub's local spawner starts every user's server as that Linux user, so the kernel's own
permissions are what keeps students out of each other's files: homes are 0700 whatever the
distribution's useradd default (Debian's makes them world-readable).
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

from .layout import runtime_dir


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def home(name: str) -> Path:
    return Path(pwd.getpwnam(name).pw_dir)


def create(name: str, homes: Path | None = None, password: str | None = None) -> Path:
    """Make the account (if missing) with a private home, in `homes` when given; set its password
    for PAM when given. Returns the home."""
    if not exists(name):
        command = ["useradd", "--create-home", "--shell", "/bin/bash", "--user-group"]
        if homes is not None:
            command += ["--home-dir", str(Path(homes) / name)]
        subprocess.run(command + [name], check=True, capture_output=True, text=True)
    path = home(name)
    os.chmod(path, 0o700)
    if password is not None:
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", check=True, capture_output=True, text=True)
    return path


def user_pids(name: str) -> list[int]:
    """Processes running as `name` (read from /proc, so nothing else is touched)."""
    uid = pwd.getpwnam(name).pw_uid
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def remove(name: str, timeout: float = 20) -> None:
    """Remove the account and its home. Its processes (servers, kernels the hub left behind) are
    ended first, one by one by id: userdel refuses while they run."""
    if not exists(name):
        return
    for sig in (15, 9):
        for pid in user_pids(name):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout / 2
        while user_pids(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not user_pids(name):
            break
    shutil.rmtree(runtime_dir(name), ignore_errors=True)  # a later account may get the same uid
    subprocess.run(["userdel", "--remove", name], check=True, capture_output=True, text=True)
