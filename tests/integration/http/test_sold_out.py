"""``sold_out`` says which ticket type, on the reference storage, SQLite and PostgreSQL:
the detail names it and tells the buyer what to change, the context carries its id and
name, and nothing is held."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.http.conftest import Shop, assert_problem, order_body
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage, UnitOfWork


@pytest.fixture
def tickex(storage: Storage) -> TickEx:
    return TickEx.in_memory(storage=storage)


def _left(tickex: TickEx, shop: Shop, type_id: str) -> int:
    """How many of the ticket type's quotas are neither held nor sold."""

    def read(uow: UnitOfWork) -> int:
        tt = uow.ticket_types.get(type_id)
        assert tt is not None
        quotas = [uow.quotas.get(q) for q in tt.quota_ids]
        return sum(q.left for q in quotas if q is not None)

    return tickex.services.read(read)


def test_sold_out_names_the_ticket_type_and_what_to_change(
    client: TestClient[Litestar], tickex: TickEx, shop: Shop
) -> None:
    vip = {"items": [{"ticket_type_id": shop.vip, "quantity": 1}]}
    assert client.post("/v1/orders", json=order_body(shop, **vip)).status_code == 201
    response = client.post("/v1/orders", json=order_body(shop, customer_email="ben@example.com",
                                                         **vip))  # fmt: skip
    problem = assert_problem(response, 409, "sold_out")
    assert problem["context"] == {"ticket_type_id": shop.vip, "ticket_type_name": "VIP"}
    assert "VIP" in problem["detail"]
    assert "ask for fewer" in problem["detail"]


def test_sold_out_names_the_type_asked_for_too_many_and_holds_nothing(
    client: TestClient[Litestar], tickex: TickEx, shop: Shop
) -> None:
    before = {t: _left(tickex, shop, t) for t in (shop.ga, shop.vip)}
    items = [{"ticket_type_id": shop.vip, "quantity": 1},
             {"ticket_type_id": shop.ga, "quantity": 6}]  # fmt: skip
    response = client.post("/v1/orders", json=order_body(shop, items=items))  # five GA in all
    problem = assert_problem(response, 409, "sold_out")
    assert problem["context"]["ticket_type_id"] == shop.ga
    assert problem["context"]["ticket_type_name"] == "General admission"
    assert "General admission" in problem["detail"]
    assert {t: _left(tickex, shop, t) for t in (shop.ga, shop.vip)} == before
