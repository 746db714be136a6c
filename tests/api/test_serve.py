"""`cctrace serve` runs the API on uvicorn: the real entry point, on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import httpx
from typer.testing import CliRunner

from cctrace.cli import app as cli_app
from tests.api.conftest import Api
from tests.ingest.conftest import CCTRACE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_answers_over_http(api: Api) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "CCTRACE_TOKEN"}
    proc = subprocess.Popen(
        [*CCTRACE, "serve", "--home", str(api.env.home), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                health = httpx.get(f"{base}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        assert httpx.get(f"{base}/api/v1/me", timeout=5).status_code == 401
        me = httpx.get(f"{base}/api/v1/me", headers=api.auth("auditor"), timeout=5)
        assert me.json() == {"user": "aud", "role": "auditor"}
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(30)


def test_serve_refuses_a_bad_purge_time(api: Api) -> None:
    r = CliRunner().invoke(cli_app, ["serve", "--home", str(api.env.home), "--purge-at", "25:00"])
    assert r.exit_code == 2 and "purge" in r.stderr, r.stderr
