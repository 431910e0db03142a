"""The rate limiter as the application wires it: settings, the container and
``create_app`` (the middleware itself is tested in test_rate_limit.py)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, order_body
from tests.integration.redis.support import REDIS_URL, require_redis
from tickex.adapters.memory.rate_limit import InMemoryRateLimiter
from tickex.adapters.redis import RedisRateLimiter
from tickex.entrypoints.http import create_app
from tickex.entrypoints.http.serve import serve
from tickex.facade import TickEx
from tickex.settings import Settings, SettingsError

SIGNING_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
ACCESS_TOKEN_KEY = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"


def test_order_placement_is_limited_to_ten_a_minute_per_client(
    client: TestClient[Litestar], shop: Shop
) -> None:
    free = order_body(shop, event_slug=shop.free_slug,
                      items=[{"ticket_type_id": shop.free_type, "quantity": 1}])  # fmt: skip
    statuses = [client.post("/v1/orders", json=free).status_code for _ in range(10)]
    assert 429 not in statuses
    refused = client.post("/v1/orders", json=free)
    assert_problem(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "60"
    assert client.get("/v1/events").status_code == 200  # other routes are not limited


def test_no_policies_no_limits(tickex: TickEx, shop: Shop) -> None:
    with TestClient(create_app(tickex, rate_policies={})) as client:
        body = order_body(shop, event_slug=shop.free_slug,
                          items=[{"ticket_type_id": shop.free_type, "quantity": 1}])  # fmt: skip
        assert all(client.post("/v1/orders", json=body).status_code != 429 for _ in range(12))


def test_cors_exposes_the_rate_limit_headers(tickex: TickEx) -> None:
    api = create_app(tickex, cors_origins=["https://shop.example"])
    with TestClient(api) as client:
        response = client.get("/v1/events", headers={"Origin": "https://shop.example"})
        exposed = response.headers["access-control-expose-headers"].lower()
        assert "retry-after" in exposed
        assert "ratelimit-remaining" in exposed


def test_the_limiter_is_in_memory_unless_a_redis_url_is_set() -> None:
    memory = TickEx.from_settings(Settings.load(environment="test", database_url="memory://"))
    assert isinstance(memory.services.identity.rate_limiter, InMemoryRateLimiter)
    require_redis()
    shared = TickEx.from_settings(
        Settings.load(environment="test", database_url="memory://", redis_url=REDIS_URL)
    )
    assert isinstance(shared.services.identity.rate_limiter, RedisRateLimiter)
    assert shared.services.identity.rate_limiter.ping()


def test_rate_limit_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKEX_TRUSTED_PROXIES", "10.0.0.0/8, ::1")
    monkeypatch.setenv("TICKEX_REDIS_URL", "redis://:s3cret@127.0.0.1:6379/0")
    settings = Settings.load()
    assert settings.trusted_proxies == ("10.0.0.0/8", "::1")
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [("TICKEX_TRUSTED_PROXIES", "10.0.0.0/33"), ("TICKEX_TRUSTED_PROXIES", "proxy.local"),
     ("TICKEX_REDIS_URL", "http://127.0.0.1:6379")],
)  # fmt: skip
def test_invalid_rate_limit_settings_are_reported_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        Settings.load()


def test_production_refuses_several_workers_without_a_shared_limiter(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKEX_ENVIRONMENT", "production")
    monkeypatch.setenv("TICKEX_DATABASE_URL", "sqlite:///unused.db")
    monkeypatch.setenv("TICKEX_SIGNING_KEY", SIGNING_KEY)
    monkeypatch.setenv("TICKEX_ACCESS_TOKEN_KEY", ACCESS_TOKEN_KEY)
    assert serve(workers=2) == 2
    assert "TICKEX_REDIS_URL" in capsys.readouterr().err
