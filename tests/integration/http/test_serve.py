"""``tickex serve``: settings, refusals, and a real server process on granian."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from tickex.entrypoints.http import serve as serve_module
from tickex.entrypoints.http.serve import app_from_environment, serve
from tickex.settings import Settings, SettingsError


def test_http_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKEX_HOST", "0.0.0.0")
    monkeypatch.setenv("TICKEX_PORT", "8081")
    monkeypatch.setenv("TICKEX_CORS_ORIGINS", "https://shop.example, http://localhost:3000")
    http = Settings.load()
    assert (http.host, http.port) == ("0.0.0.0", 8081)
    assert http.cors_origins == ("https://shop.example", "http://localhost:3000")


@pytest.mark.parametrize(
    ("name", "value"),
    [("TICKEX_PORT", "70000"), ("TICKEX_CORS_ORIGINS", "*"),
     ("TICKEX_CORS_ORIGINS", "https://shop.example/path"), ("TICKEX_WORKER_INTERVAL", "-1")],
)  # fmt: skip
def test_invalid_http_settings_are_reported_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        Settings.load()


def test_the_in_process_worker_runs_outside_production_only() -> None:
    dev = Settings.load(environment="development", database_url="memory://")
    prod = Settings.load(
        environment="production",
        database_url="memory://",
        signing_key="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        access_token_key="ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8",
    )
    assert dev.in_process_worker_interval() == 5.0
    assert prod.in_process_worker_interval() is None
    assert dev.model_copy(update={"worker_interval": 0}).in_process_worker_interval() is None
    assert prod.model_copy(update={"worker_interval": 2}).in_process_worker_interval() == 2


def test_memory_storage_refuses_several_workers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKEX_DATABASE_URL", "memory://")
    assert serve(workers=2) == 2
    assert "--workers 1" in capsys.readouterr().err


def test_bad_arguments_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKEX_DATABASE_URL", "memory://")
    assert serve(port=0) == 2
    assert serve(workers=0) == 2
    monkeypatch.setenv("TICKEX_PORT", "not-a-port")
    assert serve() == 2
    assert "TICKEX_PORT" in capsys.readouterr().err


def test_the_factory_builds_the_app_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKEX_DATABASE_URL", "memory://")
    monkeypatch.setenv("TICKEX_CORS_ORIGINS", "https://shop.example")
    monkeypatch.setenv("TICKEX_WORKER_INTERVAL", "0")
    with TestClient(app_from_environment()) as client:
        response = client.get("/healthz", headers={"Origin": "https://shop.example"})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://shop.example"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_real_server_answers_logs_json_and_shuts_down_gracefully(tmp_path: Path) -> None:
    pytest.importorskip("granian")
    port = _free_port()
    env = {**os.environ, "TICKEX_DATABASE_URL": "memory://", "TICKEX_PORT": str(port),
           "TICKEX_WORKER_INTERVAL": "0.2"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", serve_module.__name__],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        response = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz",
                                     headers={"X-Request-ID": "serve-test"}, timeout=1)  # fmt: skip
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, process.stderr.read() if process.stderr else ""
        assert response.json() == {"status": "ok"}
        assert response.headers["x-request-id"] == "serve-test"
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2)
        assert "/static/docs/swagger-ui-bundle.js" in docs.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, err
    access = [json.loads(line) for line in err.splitlines()
              if line.startswith("{") and '"tickex.http.access"' in line]  # fmt: skip
    assert any(r["request_id"] == "serve-test" and r["route"] == "/healthz" for r in access), err


def test_several_workers_share_generated_keys_outside_production() -> None:
    from tickex.entrypoints.http.serve import shared_development_keys

    dev = Settings.load(environment="development", database_url="memory://")
    keys = shared_development_keys(dev)
    assert set(keys) == {"TICKEX_SIGNING_KEY", "TICKEX_ACCESS_TOKEN_KEY"}
    assert keys["TICKEX_SIGNING_KEY"] != keys["TICKEX_ACCESS_TOKEN_KEY"]
    with_keys = Settings.load(environment="development", database_url="memory://", **{
        "signing_key": keys["TICKEX_SIGNING_KEY"],
        "access_token_key": keys["TICKEX_ACCESS_TOKEN_KEY"],
    })  # fmt: skip  # the generated values are valid keys
    assert shared_development_keys(with_keys) == {}
