"""The commerce rules under any sequence of operations, on every storage engine.

Place / expire / pay / late-pay / cancel / refund / check-in (two scanners racing for one
ticket included) / payout across ticket types that share quotas. The machine runs on the
in-memory reference storage (many examples) and, with fewer examples, on SQLite,
PostgreSQL (skipped when it does not answer, failed under TICKEX_REQUIRE_SERVICES=1) and
mongomock. Everything is read back through the repositories. After every step:

- every quota: 0 <= sold, 0 <= held, sold + held <= size; held is exactly what the active
  holds hold and sold is exactly what the valid tickets need;
- tickets issued == paid admissions not refunded; no ticket for an unpaid order;
- every ledger transaction balances per currency, and every account's totals as the
  ledger repository sums them equal the sum of its entries;
- every ticket is admitted at most once: from the stored check-ins, accepted entries minus
  accepted exits is 1 for a checked-in ticket and 0 for any other;
- organizer payable == sales - fees - refunds - payouts (from the orders, independently);
- refunds never exceed what was paid, and what the provider is asked to refund (refunded
  by the gateway, or still in the outbox) equals what the orders record;
- promo code uses equal the orders holding or having used them, never above the cap.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from tests.contract.test_mongo_storage import mongomock_storage
from tests.integration.sql.support import postgres_storage, require_postgres, sqlite_storage
from tests.property.interleaving import InterleavingStorage
from tickex import (
    CancelOrder,
    CheckInTicket,
    ConfirmPayment,
    CreateEvent,
    CreateOrganizer,
    CreatePromoCode,
    CreateQuota,
    CreateTicketType,
    GetOrder,
    OrderItem,
    PlaceOrder,
    PublishEvent,
    RecordPayout,
    RefundOrder,
    SettingsInput,
    TickEx,
    VenueInput,
)
from tickex.adapters.memory.payment import InMemoryPaymentGateway
from tickex.adapters.memory.storage import InMemoryStorage
from tickex.application.finance.balances import payable_balance
from tickex.domain.check_in import CheckInResult, ScanDirection
from tickex.domain.errors import DomainError
from tickex.domain.hold import HoldStatus
from tickex.domain.ledger import TransactionKind, organizer_payable
from tickex.domain.order import PAID_STATES, OrderStatus
from tickex.domain.outbox import MessageKind
from tickex.domain.ticket import TicketStatus
from tickex.ports.unit_of_work import Storage

EMAILS = ["ana@example.com", "ben@example.com", "cy@example.com"]

# Refusals a buyer or an organizer can meet. Any other error (an oversold quota caught by
# the domain's own check, an unbalanced ledger, a conflict retried to exhaustion) means a
# guard before it failed, and fails the run.
EXPECTED_REFUSALS = {
    "sold_out", "order_limit_exceeded", "promo_code_exhausted", "promo_code_invalid",
    "invalid_transition", "refund_not_allowed", "payment_mismatch",
}  # fmt: skip


def refused(what: str, exc: DomainError) -> None:
    assert exc.code in EXPECTED_REFUSALS, f"{what}: {exc.code}: {exc}"
    event(f"{what}: {exc.code}")


class CommerceMachine(RuleBasedStateMachine):
    """On the in-memory reference storage; subclasses swap ``storage`` for an engine."""

    def __init__(self) -> None:
        super().__init__()
        self.resources = ExitStack()
        self.storage = self.resources.enter_context(self.make_storage())
        self.app = TickEx.in_memory(storage=self.storage)
        self.clock = self.app.services.clock
        self.orders: list[tuple[str, str]] = []  # (order id, customer email)
        self.payments = 0
        self.payouts = 0
        self.refunded: list[RefundOrder] = []  # refunds of tickets or of everything that passed

    @contextmanager
    def make_storage(self) -> Iterator[Storage]:
        yield InterleavingStorage(InMemoryStorage())

    def teardown(self) -> None:
        self.resources.close()

    @initialize(
        fee_policy=st.sampled_from(["pass_on", "absorb"]),
        tax_mode=st.sampled_from(["inclusive", "exclusive"]),
        refund_fee=st.booleans(),
        capacity=st.integers(2, 8),
    )
    def set_up(self, fee_policy: str, tax_mode: str, refund_fee: bool, capacity: int) -> None:
        app = self.app
        now = self.clock.now()
        self.org = app.create_organizer(CreateOrganizer(name="Org", email="org@example.com"))
        self.event = app.create_event(
            CreateEvent(
                organizer_id=self.org.id,
                title="Show",
                slug="show",
                starts_at=now + timedelta(days=5),
                ends_at=now + timedelta(days=5, hours=3),
                venue=VenueInput(name="Hall", address="1 Street"),
                capacity=capacity,
                settings=SettingsInput(
                    currency="EUR",
                    tax_rate_bp=1000,
                    tax_mode=tax_mode,
                    fee_policy=fee_policy,
                    hold_minutes=15,
                    refund_policy={"refund_platform_fee": refund_fee},
                ),
            )
        )
        vip = app.create_quota(
            CreateQuota(organizer_id=self.org.id, event_id=self.event.id, name="VIP area", size=3)
        )

        def add(name: str, price: int, qty: int, shared: list[str]) -> str:
            return app.create_ticket_type(
                CreateTicketType(
                    organizer_id=self.org.id,
                    event_id=self.event.id,
                    name=name,
                    price_minor=price,
                    quantity_total=qty,
                    shared_quota_ids=shared,
                    max_per_order=4,
                )
            ).id

        self.types = [
            add("General", 2500, 5, []),
            add("VIP", 7999, 3, [vip.id]),
            add("Backstage", 1, 2, [vip.id]),
            add("Free", 0, 2, []),
        ]
        self.promo = app.create_promo_code(
            CreatePromoCode(
                organizer_id=self.org.id,
                event_id=self.event.id,
                code="HALF",
                kind="percent",
                percent_bp=5000,
                max_uses=2,
            )
        )
        app.publish_event(PublishEvent(organizer_id=self.org.id, event_id=self.event.id))

    # -- rules ----------------------------------------------------------------------------
    @rule(
        lines=st.lists(
            st.tuples(st.integers(0, 3), st.integers(1, 3)),
            min_size=1,
            max_size=3,
            unique_by=lambda t: t[0],
        ),
        promo=st.booleans(),
        who=st.sampled_from(EMAILS),
    )
    def place(self, lines: list[tuple[int, int]], promo: bool, who: str) -> None:
        command = PlaceOrder(
            event_id=self.event.id,
            customer_email=who,
            items=[OrderItem(ticket_type_id=self.types[i], quantity=q) for i, q in lines],
            promo_code="half" if promo else None,
        )
        try:
            placed = self.app.place_order(command)
        except DomainError as exc:
            refused("place", exc)
            return
        event(f"place: {placed.status}")
        self.orders.append((placed.order_id, who))

    @rule(minutes=st.integers(1, 20))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))  # type: ignore[attr-defined]

    @rule()
    def sweep(self) -> None:
        self.app.expire_holds()

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), replay=st.booleans())
    def pay(self, data: st.DataObject, replay: bool) -> None:
        order_id, who = data.draw(st.sampled_from(self.orders))
        order = self.app.get_order(GetOrder(order_id=order_id, customer_email=who)).order
        if not replay or self.payments == 0:
            self.payments += 1
        try:
            result = self.app.confirm_payment(
                ConfirmPayment(
                    provider="local",
                    provider_event_id=f"evt_{self.payments}",
                    order_id=order_id,
                    amount_minor=order.total.amount_minor,
                    currency="EUR",
                )
            )
            event(f"pay: {result.outcome}")
        except DomainError as exc:
            refused("pay", exc)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def refund_a_ticket_twice(self, data: st.DataObject) -> None:
        """One ticket of a paid order refunded, then the same request at once again (a
        double click): the second is refused and changes nothing, however many tickets the
        order keeps (with three or more, only the refund's own check can refuse it)."""
        order_id, who = data.draw(st.sampled_from(self.orders))
        details = self.app.get_order(GetOrder(order_id=order_id, customer_email=who))
        active = [t.id for t in details.tickets if t.status is TicketStatus.ACTIVE]
        if len(active) < 2 or details.order.status not in PAID_STATES:
            return
        command = RefundOrder(organizer_id=self.org.id, order_id=order_id,
                              ticket_ids=[data.draw(st.sampled_from(active))])  # fmt: skip
        try:
            first = self.app.refund_order(command)
        except DomainError as exc:
            refused("refund a ticket", exc)
            return
        self.refunded.append(command)
        try:
            self.app.refund_order(command)
        except DomainError as exc:
            refused("refund a ticket twice", exc)
        else:
            raise AssertionError(f"a ticket was refunded twice: {command}")
        again = self.app.get_order(GetOrder(order_id=order_id, customer_email=who)).order
        assert again.refunded_amount == first.refunded_amount

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order_id, who = data.draw(st.sampled_from(self.orders))
        try:
            self.app.cancel_order(CancelOrder(order_id=order_id, customer_email=who))
            event("cancel: done")
        except DomainError as exc:
            refused("cancel", exc)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), mode=st.sampled_from(["full", "tickets", "amount"]))
    def refund(self, data: st.DataObject, mode: str) -> None:
        order_id, who = data.draw(st.sampled_from(self.orders))
        details = self.app.get_order(GetOrder(order_id=order_id, customer_email=who))
        ticket_ids = amount = None
        if mode == "tickets":
            active = [t.id for t in details.tickets if t.status is TicketStatus.ACTIVE]
            if not active:
                return
            ticket_ids = data.draw(st.lists(st.sampled_from(active), min_size=1, unique=True))
        elif mode == "amount":
            amount = data.draw(st.integers(1, max(1, details.order.total.amount_minor)))
        command = RefundOrder(
            organizer_id=self.org.id, order_id=order_id, ticket_ids=ticket_ids, amount_minor=amount
        )
        before = details.order
        try:
            refunded = self.app.refund_order(command)
            event(f"refund {mode}: {refunded.status}")
        except DomainError as exc:
            refused(f"refund {mode}", exc)
            return
        # exactly what was asked: the chosen tickets' prices, the rest, or the amount
        if mode == "tickets":
            prices = sum(t.price_paid.amount_minor for t in details.tickets if t.id in ticket_ids)
            asked = min(prices, before.refundable.amount_minor)
        else:
            asked = amount if amount is not None else before.refundable.amount_minor
        refunded_now = refunded.refunded_amount.amount_minor - before.refunded_amount.amount_minor
        assert refunded_now == asked, (mode, refunded_now, asked)
        if mode != "amount":  # a goodwill amount may be given again; tickets or all, not
            self.refunded.append(command)

    @precondition(lambda self: self.refunded)
    @rule(data=st.data())
    def refund_again(self, data: st.DataObject) -> None:
        """The same refund sent again (a retry, a double click) returns nothing more."""
        command = data.draw(st.sampled_from(self.refunded))

        def state() -> tuple[int, int]:
            with self.storage.unit_of_work(read_only=True) as uow:
                order = uow.orders.get(command.order_id)
                assert order is not None
                posted = uow.ledger.list_for_order(order.id)
                refunds = [tx for tx in posted if tx.kind is TransactionKind.REFUND]
                return order.refunded_amount.amount_minor, len(refunds)

        before = state()
        try:
            self.app.refund_order(command)
        except DomainError as exc:
            refused("refund again", exc)
        else:
            raise AssertionError(f"a repeated refund was accepted: {command}")
        assert state() == before

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), exit_scan=st.booleans())
    def scan(self, data: st.DataObject, exit_scan: bool) -> None:
        order_id, who = data.draw(st.sampled_from(self.orders))
        details = self.app.get_order(GetOrder(order_id=order_id, customer_email=who))
        if not details.tickets:
            return
        ticket = data.draw(st.sampled_from(details.tickets))
        self.payments += 1
        result = self.app.check_in(
            CheckInTicket(
                event_id=self.event.id,
                token=details.tokens[ticket.id],
                nonce=f"nonce-{self.payments:06d}",
                direction="exit" if exit_scan else "entry",
            )
        )
        event(f"scan: {result.decision.reason or 'accepted'}")
        if result.decision.accepted:
            assert ticket.status is not TicketStatus.REVOKED

    @precondition(lambda self: self.orders and isinstance(self.storage, InterleavingStorage))
    @rule(data=st.data(), directions=st.tuples(st.booleans(), st.booleans()))
    def scan_from_two_scanners(self, data: st.DataObject, directions: tuple[bool, bool]) -> None:
        """Scanner A reads the ticket, scanner B scans it to the end, then A decides."""
        order_id, who = data.draw(st.sampled_from(self.orders))
        details = self.app.get_order(GetOrder(order_id=order_id, customer_email=who))
        if not details.tickets:
            return
        ticket = data.draw(st.sampled_from(details.tickets))
        results = []

        def scanner(gate: str, exit_scan: bool) -> None:
            self.payments += 1
            results.append(self.app.check_in(CheckInTicket(
                event_id=self.event.id, token=details.tokens[ticket.id],
                nonce=f"nonce-{self.payments:06d}", gate=gate, device=gate,
                direction="exit" if exit_scan else "entry",
            )))  # fmt: skip

        assert isinstance(self.storage, InterleavingStorage)
        self.storage.interleave(lambda: scanner("B", directions[1]))
        scanner("A", directions[0])
        b, a = results
        event(f"two scanners: A {a.decision.reason or 'accepted'}, "
              f"B {b.decision.reason or 'accepted'}")  # fmt: skip
        if directions == (False, False):  # two entries: at most one lets the ticket in
            assert not (a.decision.accepted and b.decision.accepted)

    @rule(fraction=st.integers(1, 100))
    def payout(self, fraction: int) -> None:
        with self.storage.unit_of_work() as uow:
            balance = payable_balance(uow, self.org.id, "EUR").amount_minor
        amount = balance * fraction // 100
        if amount <= 0:
            return
        self.payouts += amount
        self.app.record_payout(
            RecordPayout(
                organizer_id=self.org.id,
                amount_minor=amount,
                currency="EUR",
                reference=f"po_{self.payouts}",
            )
        )

    @rule()
    def worker(self) -> None:
        self.app.process_outbox()

    # -- invariants -----------------------------------------------------------------------
    def _snapshot(self):  # type: ignore[no-untyped-def]
        with self.storage.unit_of_work(read_only=True) as uow:
            orders = uow.orders.list_by_event(self.event.id)
            holds = [h for o in orders if (h := uow.holds.get(o.hold_id)) is not None]
            tickets = [t for o in orders for t in uow.tickets.list_by_order(o.id)]
            ledger = uow.ledger.list_all()
            accounts = {e.account for tx in ledger for e in tx.entries}
            far = self.clock.now() + timedelta(days=3650)
            return (
                uow.quotas.list_by_event(self.event.id),
                holds,
                orders,
                tickets,
                ledger,
                {a: uow.ledger.account_totals(a) for a in accounts},
                [*uow.outbox.due(far, 10_000), *uow.outbox.dead(10_000)],
                {t.id: uow.check_ins.list_by_ticket(t.id) for t in tickets},
                uow.promo_codes.get(self.promo.id),
                {t: uow.ticket_types.get(t) for t in self.types},
            )

    @invariant()
    def rules_hold(self) -> None:
        if not hasattr(self, "event"):
            return
        snapshot = self._snapshot()
        quotas, holds, orders, tickets, ledger, totals, outbox, scans, promo, types = snapshot
        # inventory: counters within bounds and explained by holds and tickets
        held: Counter[str] = Counter()
        for h in holds:
            if h.status is HoldStatus.ACTIVE:
                for item in h.items:
                    held[item.quota_id] += item.quantity
        sold: Counter[str] = Counter()
        for t in tickets:
            if t.status is not TicketStatus.REVOKED:
                for quota_id in types[t.ticket_type_id].quota_ids:
                    sold[quota_id] += 1
        for q in quotas:
            assert q.sold >= 0, q
            assert q.held >= 0, q
            assert q.sold + q.held <= q.size, q
            assert q.held == held[q.id], (q, held[q.id])
            assert q.sold == sold[q.id], (q, sold[q.id])
        # tickets: issued once for paid admissions, none for unpaid orders
        by_order: dict[str, list[TicketStatus]] = defaultdict(list)
        for t in tickets:
            by_order[t.order_id].append(t.status)
        for o in orders:
            statuses = by_order.get(o.id, [])
            valid = [s for s in statuses if s is not TicketStatus.REVOKED]
            if o.status in PAID_STATES:
                assert len(statuses) == o.admissions
                assert valid, "a partially refunded order keeps at least one ticket"
            elif o.status is OrderStatus.REFUNDED:
                assert not valid
                assert len(statuses) in (0, o.admissions)
            else:
                assert not statuses, f"tickets for a {o.status} order"
            assert 0 <= o.refunded_amount.amount_minor <= o.total.amount_minor
        # ledger: every transaction balances per currency
        for tx in ledger:
            sums: Counter[str] = Counter()
            for e in tx.entries:
                sums[e.amount.currency] += e.amount.amount_minor
            assert all(v == 0 for v in sums.values()), tx
        # ledger: each account's totals (the repository's sums) == the sum of its entries
        entries: dict[str, Counter[tuple[Any, str]]] = defaultdict(Counter)
        for tx in ledger:
            for e in tx.entries:
                entries[e.account][(tx.kind, e.amount.currency)] += e.amount.amount_minor
        for account, summed in entries.items():
            assert totals[account] == dict(summed), (account, totals[account], summed)
        # admissions: at most once, from the stored check-ins (entries minus exits)
        for t in tickets:
            accepted = Counter(c.direction for c in scans[t.id]
                               if c.result is CheckInResult.ACCEPTED)  # fmt: skip
            inside = accepted[ScanDirection.ENTRY] - accepted[ScanDirection.EXIT]
            assert inside == (1 if t.status is TicketStatus.CHECKED_IN else 0), (t, scans[t.id])
        # organizer payable == sales - fees - refunds - payouts, from the orders
        expected = 0
        for o in orders:
            if o.is_paid:
                fee_kept = o.totals.platform_fee.amount_minor - o.fee_refunded.amount_minor
                expected += o.total.amount_minor - fee_kept - o.refunded_amount.amount_minor
        payable = -sum(
            e.amount.amount_minor
            for tx in ledger
            for e in tx.entries
            if e.account == organizer_payable(self.org.id)
        )
        assert payable == expected - self.payouts
        # refunds asked of the provider (refunded, or still in the outbox) == on the orders
        asked: Counter[str] = Counter()
        gateway = self.app.services.sales.payments
        assert isinstance(gateway, InMemoryPaymentGateway)
        by_reference = {o.payment_reference: o.id for o in orders if o.payment_reference}
        for request, _ in gateway.refunds.values():
            asked[by_reference[request.payment_reference]] += request.amount.amount_minor
        for m in outbox:
            if m.kind is MessageKind.REFUND_PAYMENT:
                asked[m.payload["order_id"]] += m.payload["amount_minor"]
        for o in orders:
            assert asked[o.id] == o.refunded_amount.amount_minor
        # promo code uses: the orders holding it or that used it, never above the cap
        holds_by_id = {h.id: h for h in holds}
        using = sum(
            1
            for o in orders
            if o.promo_code_id
            and (
                holds_by_id[o.hold_id].status in (HoldStatus.ACTIVE, HoldStatus.CONVERTED)
                or by_order.get(o.id)  # a late payment took the use again
            )
        )
        assert promo.uses == using <= (promo.max_uses or using)


def _settings(examples: int, steps: int = 50) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


class SqliteCommerceMachine(CommerceMachine):
    @contextmanager
    def make_storage(self) -> Iterator[Storage]:
        with TemporaryDirectory() as directory, sqlite_storage(Path(directory)) as storage:
            yield storage


class PostgresCommerceMachine(CommerceMachine):
    @contextmanager
    def make_storage(self) -> Iterator[Storage]:
        with postgres_storage() as storage:
            yield storage


class MongomockCommerceMachine(CommerceMachine):
    @contextmanager
    def make_storage(self) -> Iterator[Storage]:
        yield mongomock_storage()


# The reference runs many examples; the engines fewer (each example migrates a store).
CommerceMachine.TestCase.settings = _settings(250)
SqliteCommerceMachine.TestCase.settings = _settings(12, 30)
PostgresCommerceMachine.TestCase.settings = _settings(6, 30)
MongomockCommerceMachine.TestCase.settings = _settings(12, 30)

TestCommerceRules = CommerceMachine.TestCase
TestCommerceRulesOnSqlite = SqliteCommerceMachine.TestCase
TestCommerceRulesOnMongomock = MongomockCommerceMachine.TestCase


@pytest.mark.requires_postgres
class TestCommerceRulesOnPostgres(PostgresCommerceMachine.TestCase):  # type: ignore[name-defined,misc]
    def setUp(self) -> None:
        require_postgres()  # skipped when PostgreSQL does not answer, failed when required
