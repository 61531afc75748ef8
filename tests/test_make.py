"""`make run PORT=5050 HOST=...`: the README's one command, on the address asked for."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_on_the_host_and_port_given(tmp_path: Path) -> None:
    # 127.0.0.2 is loopback too, but not the default 127.0.0.1: only HOST gets it there.
    host = "127.0.0.2"
    port = _free_port(host)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OUTREACH_") and k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    }
    # The demo database in a folder of the test's own, not the checkout's instance/.
    env["OUTREACH_INSTANCE_DIR"] = str(tmp_path / "instance")
    # BIN: this test's own environment; -o: never set up .venv again from here.
    command = ["make", "--no-print-directory", "-o", ".venv/.installed", "run",
               f"PORT={port}", f"HOST={host}", f"BIN={Path(sys.executable).parent}"]  # fmt: skip
    log = tmp_path / "make.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert make.poll() is None, "make run stopped:\n" + log.read_text()
            try:
                with urllib.request.urlopen(f"http://{host}:{port}/simulator/", timeout=5) as page:
                    assert page.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "no answer:\n" + log.read_text()
                time.sleep(0.1)
    finally:
        # make and the server it started: the session this test gave them, nothing else.
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
    assert f"open http://{host}:{port}/simulator/" in log.read_text()
    assert (tmp_path / "instance" / "outreach.sqlite3").exists()
