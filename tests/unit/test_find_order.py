"""find_order: a buyer finds their order by its human code and their email, through the
library. An unknown code and a wrong email are one error after the same work; guesses are
counted per email and per code, whatever client makes them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from tests.unit.test_use_cases import (
    BUYER,
    Shop,
    add_type,
    bought,
    buy,
    make_shop,
    new_event,
    new_organizer,
    publish,
)
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.application.sales.find_order import FIND_ATTEMPTS, FIND_WINDOW_SECONDS, FindOrder
from tickex.application.sales.get_order import GetOrder
from tickex.domain.errors import NotFound, TooManyAttempts
from tickex.facade import TickEx
from tickex.ports.unit_of_work import Storage, UnitOfWork


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def find(code: str, email: str = BUYER) -> FindOrder:
    return FindOrder(order_code=code, customer_email=email)


def test_the_buyer_finds_their_order_by_code_and_email(shop: Shop) -> None:
    placed = bought(shop, 2)
    found = shop.app.find_order(find(placed.order_code))
    by_id = shop.app.get_order(GetOrder(order_id=placed.order_id, customer_email=BUYER))
    assert found == by_id  # the same order, tickets and tokens as getOrder
    assert len(found.tickets) == 2


def test_the_code_and_the_email_match_in_any_case(shop: Shop) -> None:
    placed = buy(shop)
    typed = f"  {placed.order_code.lower()} "
    found = shop.app.find_order(find(typed, BUYER.upper()))
    assert found.order.id == placed.order_id


def test_a_wrong_email_and_an_unknown_code_are_one_error(shop: Shop) -> None:
    placed = buy(shop)
    with pytest.raises(NotFound) as wrong_email:
        shop.app.find_order(find(placed.order_code, "eve@example.com"))
    with pytest.raises(NotFound) as unknown_code:
        shop.app.find_order(find("ZZZZZZZZ"))
    for error in (wrong_email.value, unknown_code.value):
        assert (error.code, error.detail, error.context) == ("not_found", "order not found", {})


class _Recorded:
    """A repository whose method calls are written down (``orders.get_by_code``)."""

    def __init__(self, name: str, inner: Any, calls: list[str]) -> None:
        self._name, self._inner, self._calls = name, inner, calls

    def __getattr__(self, method: str) -> Any:
        found = getattr(self._inner, method)
        if callable(found):
            self._calls.append(f"{self._name}.{method}")
        return found


class RecordingStorage(Storage):
    """The reference storage, writing down every repository method read through it."""

    def __init__(self) -> None:
        self.inner, self.calls = InMemoryStorage(), list[str]()

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        uow = self.inner.unit_of_work(read_only)
        for name in UnitOfWork.__annotations__:
            setattr(uow, name, _Recorded(name, getattr(uow, name), self.calls))
        return uow


def test_a_wrong_email_and_an_unknown_code_do_the_same_work() -> None:
    storage = RecordingStorage()
    app = TickEx.in_memory(storage=storage)
    org_id = new_organizer(app)
    event_id = new_event(app, org_id)
    shop = Shop(app, org_id, event_id, add_type(app, org_id, event_id))
    publish(app, org_id, event_id)
    placed = buy(shop)
    work = []
    for command in (find(placed.order_code, "eve@example.com"), find("ZZZZZZZZ")):
        storage.calls.clear()
        with pytest.raises(NotFound):
            app.find_order(command)
        work.append(list(storage.calls))
    assert work == [["orders.get_by_code"], ["orders.get_by_code"]]


@pytest.mark.parametrize("code", ["", "AB-CD", "AB CD", "Ä" * 8, "A" * 33, "%", "$ne"])
def test_a_malformed_code_is_refused_by_the_command(code: str) -> None:
    with pytest.raises(ValidationError):
        FindOrder(order_code=code, customer_email=BUYER)


def test_codes_guessed_for_one_email_run_out(shop: Shop) -> None:
    placed = buy(shop)
    for n in range(FIND_ATTEMPTS):
        with pytest.raises(NotFound):
            shop.app.find_order(find(f"GUESS{n:03d}"))
    with pytest.raises(TooManyAttempts) as refused:
        shop.app.find_order(find(placed.order_code))  # even the right code, now
    assert refused.value.context["retry_after_seconds"] > 0
    shop.clock.advance(timedelta(seconds=FIND_WINDOW_SECONDS))
    assert shop.app.find_order(find(placed.order_code)).order.id == placed.order_id


def test_emails_guessed_for_one_code_run_out(shop: Shop) -> None:
    placed = buy(shop)
    for n in range(FIND_ATTEMPTS):
        with pytest.raises(NotFound):
            shop.app.find_order(find(placed.order_code, f"guess{n}@example.com"))
    with pytest.raises(TooManyAttempts):
        shop.app.find_order(find(placed.order_code))
    other = buy(shop, email="bo@example.com")  # another code and email: not held off
    assert shop.app.find_order(find(other.order_code, "bo@example.com"))
