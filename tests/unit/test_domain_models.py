"""The domain models: status machines, validation, availability, check-in decisions,
ledger balance and outbox retries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tickex.domain.check_in import (
    CheckInDecision,
    CheckInResult,
    RejectionReason,
    ScanDirection,
    decide_check_in,
)
from tickex.domain.errors import (
    InvalidTransition,
    LedgerUnbalanced,
    PaymentMismatch,
    PromoCodeInvalid,
    RefundNotAllowed,
    UnsupportedCurrency,
    ValidationFailed,
)
from tickex.domain.event import Event, EventSettings, EventStatus, GeoPoint
from tickex.domain.events import OrderPaid, OrderRefunded
from tickex.domain.ledger import (
    CLEARING,
    PLATFORM_REVENUE,
    Entry,
    LedgerTransaction,
    TransactionKind,
    balance_of,
    balances,
    organizer_payable,
    transfer,
)
from tickex.domain.money import Money
from tickex.domain.order import Order, OrderStatus
from tickex.domain.outbox import MAX_ATTEMPTS, OutboxStatus, backoff
from tickex.domain.pricing import OrderLine, OrderTotals
from tickex.domain.promo_code import DiscountKind
from tickex.domain.quota import AvailabilityState, Quota, combined_availability
from tickex.domain.ticket import Ticket, TicketStatus
from tickex.testing import builders

T0 = builders.T0
NAIVE = datetime(2030, 1, 1, 12, 0)  # deliberately without a time zone
PLUS_TWO = timezone(timedelta(hours=2))


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def assert_invalid_transition(action: Callable[[], object]) -> None:
    with pytest.raises(InvalidTransition) as exc:
        action()
    assert exc.value.code == "invalid_transition"


# == Event ==================================================================================


def event(**kw: object) -> Event:
    return builders.event(id="evt-1", **kw)


def test_new_event_is_a_draft() -> None:
    assert event().status is EventStatus.DRAFT


def test_draft_event_can_be_published() -> None:
    e = event()
    e.publish(T0)
    assert e.status is EventStatus.PUBLISHED


def test_published_event_cannot_be_published_again() -> None:
    e = event()
    e.publish(T0)
    assert_invalid_transition(lambda: e.publish(T0))


def test_event_that_already_ended_cannot_be_published() -> None:
    e = event()
    assert_invalid_transition(lambda: e.publish(e.ends_at))
    assert e.status is EventStatus.DRAFT


@pytest.mark.parametrize("publish_first", [False, True])
def test_draft_or_published_event_can_be_cancelled(publish_first: bool) -> None:
    e = event()
    if publish_first:
        e.publish(T0)
    e.cancel()
    assert e.status is EventStatus.CANCELLED


def test_cancelled_event_cannot_be_cancelled_published_or_ended() -> None:
    e = event()
    e.cancel()
    assert_invalid_transition(e.cancel)
    assert_invalid_transition(lambda: e.publish(T0))
    assert_invalid_transition(lambda: e.end(e.ends_at))


def test_published_event_past_its_end_can_be_ended() -> None:
    e = event()
    e.publish(T0)
    e.end(e.ends_at)
    assert e.status is EventStatus.ENDED


def test_event_cannot_be_ended_before_its_end_time() -> None:
    e = event()
    e.publish(T0)
    assert_invalid_transition(lambda: e.end(e.ends_at - timedelta(seconds=1)))


def test_draft_event_cannot_be_ended() -> None:
    e = event()
    assert_invalid_transition(lambda: e.end(e.ends_at + timedelta(days=1)))


def test_ended_event_cannot_be_cancelled_or_changed() -> None:
    e = event()
    e.publish(T0)
    e.end(e.ends_at)
    assert_invalid_transition(e.cancel)
    assert_invalid_transition(lambda: e.update(title="New"))


def test_cancelled_event_cannot_be_changed() -> None:
    e = event()
    e.cancel()
    assert_invalid_transition(lambda: e.update(title="New"))


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_event_refuses_naive_datetimes(field: str) -> None:
    with pytest.raises(ValidationFailed):
        event(**{field: NAIVE})


def test_event_update_refuses_naive_datetimes() -> None:
    e = event()
    with pytest.raises(ValidationFailed):
        e.update(starts_at=NAIVE)


def test_event_times_are_stored_in_utc() -> None:
    e = event(starts_at=datetime(2030, 1, 5, 20, 0, tzinfo=PLUS_TWO))
    assert e.starts_at == datetime(2030, 1, 5, 18, 0, tzinfo=UTC)
    assert e.starts_at.utcoffset() == timedelta(0)


def test_event_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationFailed):
        event(starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=1))


def test_event_update_must_keep_end_after_start() -> None:
    e = event()
    with pytest.raises(ValidationFailed):
        e.update(ends_at=e.starts_at - timedelta(hours=1))


def test_event_update_changes_only_what_is_given() -> None:
    e = event(title="Old", description="Keep")
    e.update(title="New")
    assert (e.title, e.description) == ("New", "Keep")


def test_draft_event_may_change_its_currency() -> None:
    e = event()
    e.update(settings=EventSettings(currency="USD"))
    assert e.currency == "USD"


def test_currency_cannot_change_after_publish() -> None:
    e = event()
    e.publish(T0)
    assert_invalid_transition(lambda: e.update(settings=EventSettings(currency="USD")))
    assert e.currency == "EUR"


def test_published_event_may_change_other_settings() -> None:
    e = event()
    e.publish(T0)
    e.update(settings=EventSettings(currency="EUR", tax_rate_bp=700))
    assert e.settings.tax_rate_bp == 700


def test_event_is_on_sale_only_while_published_and_not_ended() -> None:
    e = event()
    assert not e.is_on_sale(T0)
    e.publish(T0)
    assert e.is_on_sale(T0)
    assert not e.is_on_sale(e.ends_at)


@pytest.mark.parametrize(
    "kw",
    [
        {"tax_rate_bp": -1},
        {"tax_rate_bp": 10_001},
        {"hold_minutes": 0},
        {"hold_minutes": 24 * 60 + 1},
        {"max_tickets_per_order": 0},
        {"max_tickets_per_order": 501},
    ],
)
def test_event_settings_out_of_range_are_refused(kw: dict[str, int]) -> None:
    with pytest.raises(ValidationFailed):
        EventSettings(**kw)  # type: ignore[arg-type]


def test_event_settings_refuse_unknown_currency() -> None:
    with pytest.raises(UnsupportedCurrency):
        EventSettings(currency="XYZ")


@pytest.mark.parametrize(("lat", "lon"), [(90.1, 0), (-90.1, 0), (0, 180.1), (0, -180.1)])
def test_geo_point_out_of_range_is_refused(lat: float, lon: float) -> None:
    with pytest.raises(ValidationFailed):
        GeoPoint(lat, lon)


# == TicketType =============================================================================


@pytest.mark.parametrize(
    "kw",
    [
        {"price": eur(-1)},
        {"min_per_order": 0},
        {"min_per_order": 5, "max_per_order": 4},
        {"max_per_customer": 0},
        {"sales_start": T0, "sales_end": T0},
        {"sales_start": T0, "sales_end": T0 - timedelta(minutes=1)},
        {"sales_start": NAIVE},
        {"sales_end": NAIVE},
        # before year 1 / after year 9999 once in UTC: refused, not an OverflowError
        {"sales_start": datetime.min.replace(tzinfo=PLUS_TWO)},
        {"sales_end": datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))},
    ],
)
def test_invalid_ticket_type_is_refused(kw: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        builders.ticket_type(**kw)


def test_free_ticket_type_is_allowed() -> None:
    assert builders.ticket_type(price=eur(0)).price == eur(0)


def test_sales_window_opens_at_start_and_closes_at_end() -> None:
    tt = builders.ticket_type(sales_start=T0, sales_end=T0 + timedelta(days=1))
    assert not tt.sales_window_open(T0 - timedelta(seconds=1))
    assert tt.sales_window_open(T0)
    assert tt.sales_window_open(T0 + timedelta(days=1) - timedelta(seconds=1))
    assert not tt.sales_window_open(T0 + timedelta(days=1))


def test_sales_window_without_bounds_is_always_open() -> None:
    assert builders.ticket_type().sales_window_open(T0)


def test_sales_window_times_are_stored_in_utc() -> None:
    tt = builders.ticket_type(sales_start=datetime(2030, 1, 1, 14, 0, tzinfo=PLUS_TWO))
    assert tt.sales_start == T0
    assert not tt.sales_window_open(T0 - timedelta(seconds=1))


def test_quota_ids_are_sorted_and_unique() -> None:
    tt = builders.ticket_type(quota_id="q-b", shared_quota_ids=("q-c", "q-a", "q-b"))
    assert tt.quota_ids == ("q-a", "q-b", "q-c")


# == Quota ==================================================================================


@pytest.mark.parametrize(
    "kw",
    [{"size": -1}, {"sold": -1}, {"held": -1}, {"size": 3, "sold": 2, "held": 2}],
)
def test_quota_counters_obey_the_inventory_rule(kw: dict[str, int]) -> None:
    with pytest.raises(ValidationFailed):
        builders.quota(**kw)


def test_quota_left_is_size_minus_sold_and_held() -> None:
    q = builders.quota(size=10, sold=3, held=2)
    assert q.left == 5
    assert q.can_take(5)
    assert not q.can_take(6)
    assert not q.can_take(-1)


def test_quota_with_room_is_ok() -> None:
    a = builders.quota(size=10, sold=3, held=2).availability()
    assert (a.state, a.left) == (AvailabilityState.OK, 5)


def test_full_quota_with_holds_is_ordered() -> None:
    a = builders.quota(size=10, sold=8, held=2).availability()
    assert (a.state, a.left) == (AvailabilityState.ORDERED, 0)


def test_quota_with_everything_sold_is_gone() -> None:
    a = builders.quota(size=10, sold=10).availability()
    assert (a.state, a.left) == (AvailabilityState.GONE, 0)


def test_empty_quota_of_size_zero_is_gone() -> None:
    assert builders.quota(size=0).availability().state is AvailabilityState.GONE


def test_availability_states_are_ordered_gone_ordered_ok() -> None:
    assert AvailabilityState.GONE < AvailabilityState.ORDERED < AvailabilityState.OK


def test_combined_availability_is_the_worst_state() -> None:
    ok = builders.quota(size=10)
    ordered = builders.quota(size=2, held=2)
    gone = builders.quota(size=2, sold=2)
    assert combined_availability([ok, ordered]).state is AvailabilityState.ORDERED
    assert combined_availability([ordered, gone, ok]).state is AvailabilityState.GONE


def test_combined_availability_of_ok_quotas_is_the_fewest_left() -> None:
    a = combined_availability([builders.quota(size=10), builders.quota(size=10, sold=7)])
    assert (a.state, a.left) == (AvailabilityState.OK, 3)


def test_quota_full_but_shared_capacity_free_is_gone() -> None:
    own = builders.quota(size=5, sold=5)
    venue = builders.quota(size=100, sold=5)
    assert combined_availability([venue, own]).state is AvailabilityState.GONE


def test_combined_availability_needs_a_quota() -> None:
    with pytest.raises(ValidationFailed):
        combined_availability([])


# == PromoCode ==============================================================================


def test_promo_code_is_stored_upper_case_and_trimmed() -> None:
    assert builders.promo_code(code="  early-bird_1 ").code == "EARLY-BIRD_1"


@pytest.mark.parametrize("code", ["AB", "-ABC", "_ABC", "A B C", "ABC!", "A" * 41, ""])
def test_malformed_promo_code_is_refused(code: str) -> None:
    with pytest.raises(ValidationFailed):
        builders.promo_code(code=code)


@pytest.mark.parametrize(
    "kw",
    [
        {"kind": DiscountKind.PERCENT, "percent_bp": 0},
        {"kind": DiscountKind.PERCENT, "percent_bp": 10_001},
        {"kind": DiscountKind.PERCENT, "percent_bp": 1000, "fixed": Money(100, "EUR")},
        {"kind": DiscountKind.FIXED, "percent_bp": 0, "fixed": None},
        {"kind": DiscountKind.FIXED, "percent_bp": 0, "fixed": Money(0, "EUR")},
        {"kind": DiscountKind.FIXED, "percent_bp": 1000, "fixed": Money(100, "EUR")},
        {"max_uses": 0},
        {"valid_from": NAIVE},
        {"valid_until": NAIVE},
    ],
)
def test_invalid_promo_code_is_refused(kw: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        builders.promo_code(**kw)


def test_promo_code_is_valid_from_its_start_until_just_before_its_end() -> None:
    promo = builders.promo_code(valid_from=T0, valid_until=T0 + timedelta(days=1))
    with pytest.raises(PromoCodeInvalid):
        promo.check_valid(T0 - timedelta(seconds=1))
    promo.check_valid(T0)
    promo.check_valid(T0 + timedelta(days=1) - timedelta(seconds=1))
    with pytest.raises(PromoCodeInvalid) as exc:
        promo.check_valid(T0 + timedelta(days=1))
    assert exc.value.code == "promo_code_invalid"


def test_promo_code_without_window_is_always_valid() -> None:
    builders.promo_code().check_valid(T0 + timedelta(days=3650))


def test_promo_code_without_types_applies_to_every_type() -> None:
    assert builders.promo_code().applies_to("anything")


def test_promo_code_with_types_applies_only_to_them() -> None:
    promo = builders.promo_code(ticket_type_ids=("tt-a",))
    assert promo.applies_to("tt-a")
    assert not promo.applies_to("tt-b")


def test_promo_code_unlocks_hidden_types_only_when_told_to() -> None:
    assert not builders.promo_code().unlocks("tt-a")
    unlocking = builders.promo_code(unlocks_hidden=True, ticket_type_ids=("tt-a",))
    assert unlocking.unlocks("tt-a")
    assert not unlocking.unlocks("tt-b")


# == Order ==================================================================================


def order(
    status: OrderStatus = OrderStatus.PENDING,
    *,
    lines: tuple[OrderLine, ...] = (OrderLine("tt-1", 2, eur(2500), eur(0)),),
    fee: int = 0,
    refunded: int = 0,
) -> Order:
    net = Money.sum((li.net for li in lines), "EUR")
    totals = OrderTotals(
        subtotal=Money.sum((li.subtotal for li in lines), "EUR"),
        discount=Money.sum((li.discount for li in lines), "EUR"),
        tax=eur(0),
        platform_fee=eur(fee),
        total=net + eur(fee),
    )
    return builders.order(
        id="ord-1", lines=lines, totals=totals, status=status, refunded=eur(refunded)
    )


def refund(o: Order, amount: int, *, complete: bool = False, fee_part: int = 0) -> None:
    o.record_refund(T0, eur(amount), eur(fee_part), "asked", complete=complete)


ACTIONS: dict[str, Callable[[Order], None]] = {
    "pay": lambda o: o.mark_paid(T0, o.total),
    "expire": lambda o: o.expire(),
    "fail": lambda o: o.fail("provider down"),
    "cancel": lambda o: o.cancel("changed mind"),
    "attach_payment": lambda o: o.attach_payment("cs_1", "https://pay.example/cs_1"),
    "refund": lambda o: refund(o, 100),
}
RESULT = {
    "pay": OrderStatus.PAID,
    "expire": OrderStatus.EXPIRED,
    "fail": OrderStatus.FAILED,
    "cancel": OrderStatus.CANCELLED,
    "attach_payment": OrderStatus.PENDING,
    "refund": OrderStatus.PARTIALLY_REFUNDED,
}
ALLOWED = {
    OrderStatus.PENDING: {"pay", "expire", "fail", "cancel", "attach_payment"},
    OrderStatus.EXPIRED: {"pay"},
    OrderStatus.CANCELLED: {"pay"},
    OrderStatus.FAILED: {"pay"},
    OrderStatus.PAID: {"refund"},
    OrderStatus.PARTIALLY_REFUNDED: {"refund"},
    OrderStatus.REFUNDED: set(),
}
TRANSITIONS = [(s, a) for s in OrderStatus for a in ACTIONS]


def test_transition_table_covers_every_status() -> None:
    assert set(ALLOWED) == set(OrderStatus)


@pytest.mark.parametrize(("status", "action"), [(s, a) for s, a in TRANSITIONS if a in ALLOWED[s]])
def test_allowed_order_transition(status: OrderStatus, action: str) -> None:
    o = order(status, refunded=100 if status is OrderStatus.PARTIALLY_REFUNDED else 0)
    ACTIONS[action](o)
    assert o.status is RESULT[action]


@pytest.mark.parametrize(
    ("status", "action"), [(s, a) for s, a in TRANSITIONS if a not in ALLOWED[s]]
)
def test_forbidden_order_transition(status: OrderStatus, action: str) -> None:
    o = order(status)
    before = replace(o)
    assert_invalid_transition(lambda: ACTIONS[action](o))
    assert o == before


def test_placed_order_is_pending_and_has_nothing_refunded() -> None:
    line = OrderLine("tt-1", 1, eur(1000), eur(0))
    totals = OrderTotals(eur(1000), eur(0), eur(0), eur(30), eur(1030))
    o = Order.place(
        id="ord-9",
        code="ABC",
        event_id="evt-1",
        organizer_id="org-1",
        customer_email="a@example.com",
        lines=[line],
        totals=totals,
        now=T0,
        expires_at=T0 + timedelta(minutes=15),
    )
    assert o.status is OrderStatus.PENDING
    assert (o.refunded, o.fee_refunded) == (eur(0), eur(0))
    assert o.refundable == eur(0)
    assert o.events == []  # nothing acts on a placed order


def test_paying_records_when_and_clears_the_reason() -> None:
    o = order(OrderStatus.FAILED)
    o.status_reason = "provider down"
    o.mark_paid(T0, eur(5000))
    assert (o.status, o.paid_at, o.status_reason) == (OrderStatus.PAID, T0, "")
    assert o.events == [OrderPaid(order_id="ord-1", occurred_at=T0)]


@pytest.mark.parametrize("paid", [Money(4999, "EUR"), Money(5001, "EUR"), Money(5000, "USD")])
def test_payment_of_another_amount_is_a_mismatch(paid: Money) -> None:
    o = order()
    with pytest.raises(PaymentMismatch) as exc:
        o.mark_paid(T0, paid)
    assert exc.value.code == "payment_mismatch"
    assert o.status is OrderStatus.PENDING


def test_expiring_and_cancelling_record_no_event() -> None:
    expired, cancelled = order(), order()
    expired.expire()
    cancelled.cancel("changed mind")
    assert (expired.status, cancelled.status) == (OrderStatus.EXPIRED, OrderStatus.CANCELLED)
    assert expired.events == cancelled.events == []  # nothing acts on them
    assert cancelled.status_reason == "changed mind"


def test_attach_payment_keeps_the_session() -> None:
    o = order()
    o.attach_payment("cs_1", "https://pay.example/cs_1")
    assert (o.payment_reference, o.payment_url) == ("cs_1", "https://pay.example/cs_1")


def test_admission_shares_sum_to_the_total() -> None:
    lines = (OrderLine("tt-ga", 2, eur(2500), eur(0)), OrderLine("tt-vip", 1, eur(6000), eur(0)))
    o = order(OrderStatus.PAID, lines=lines, fee=331)
    shares = o.admission_shares()
    assert [t for t, _ in shares] == ["tt-ga", "tt-ga", "tt-vip"]
    assert Money.sum((m for _, m in shares), "EUR") == o.total == eur(11_331)


def test_admission_shares_split_a_line_evenly() -> None:
    o = order(lines=(OrderLine("tt-1", 3, eur(333), eur(0)),), fee=1)  # total 1000
    assert [m for _, m in o.admission_shares()] == [eur(334), eur(333), eur(333)]


def test_free_line_gets_no_share_of_the_total() -> None:
    lines = (OrderLine("tt-free", 2, eur(0), eur(0)), OrderLine("tt-paid", 1, eur(1000), eur(0)))
    o = order(lines=lines, fee=30)
    assert [m for _, m in o.admission_shares()] == [eur(0), eur(0), eur(1030)]


def test_free_order_shares_are_zero() -> None:
    o = order(lines=(OrderLine("tt-free", 3, eur(0), eur(0)),))
    assert [m for _, m in o.admission_shares()] == [eur(0)] * 3


def test_partial_refund_keeps_the_order_partially_refunded() -> None:
    o = order(OrderStatus.PAID)
    refund(o, 1000)
    assert (o.status, o.refunded_amount, o.refundable) == (
        OrderStatus.PARTIALLY_REFUNDED,
        eur(1000),
        eur(4000),
    )
    assert o.events == [
        OrderRefunded(order_id="ord-1", amount_minor=1000, currency="EUR", occurred_at=T0)
    ]


def test_refunds_add_up_until_the_order_is_refunded() -> None:
    o = order(OrderStatus.PAID)
    refund(o, 1000)
    refund(o, 4000, complete=True)
    assert (o.status, o.refunded_amount, o.refundable) == (OrderStatus.REFUNDED, eur(5000), eur(0))


def test_refund_never_exceeds_what_was_paid() -> None:
    o = order(OrderStatus.PAID)
    with pytest.raises(RefundNotAllowed) as exc:
        refund(o, 5001, complete=True)
    assert exc.value.code == "refund_not_allowed"
    assert (o.status, o.refunded_amount) == (OrderStatus.PAID, eur(0))


def test_refund_never_exceeds_what_is_left_after_earlier_refunds() -> None:
    o = order(OrderStatus.PAID)
    refund(o, 3000)
    with pytest.raises(RefundNotAllowed):
        refund(o, 2001, complete=True)
    assert o.refunded_amount == eur(3000)


def test_negative_refund_is_refused() -> None:
    with pytest.raises(RefundNotAllowed):
        refund(order(OrderStatus.PAID), -1)


def test_complete_refund_must_return_everything() -> None:
    with pytest.raises(RefundNotAllowed):
        refund(order(OrderStatus.PAID), 4000, complete=True)


def test_returning_everything_must_be_a_complete_refund() -> None:
    with pytest.raises(RefundNotAllowed):
        refund(order(OrderStatus.PAID), 5000, complete=False)


def test_free_order_may_be_refunded_in_part_with_nothing() -> None:
    o = order(OrderStatus.PAID, lines=(OrderLine("tt-free", 2, eur(0), eur(0)),))
    refund(o, 0)
    assert o.status is OrderStatus.PARTIALLY_REFUNDED
    refund(o, 0, complete=True)
    assert o.status is OrderStatus.REFUNDED


def test_refund_records_the_returned_fee() -> None:
    o = order(OrderStatus.PAID, fee=150)
    refund(o, 5150, complete=True, fee_part=150)
    assert o.fee_refunded == eur(150)


def test_full_refund_reverses_the_whole_fee() -> None:
    o = order(OrderStatus.PAID, fee=150)
    assert o.fee_to_reverse(o.total) == eur(150)


def test_fee_to_reverse_over_partial_refunds_returns_exactly_the_whole_fee() -> None:
    o = order(OrderStatus.PAID, lines=(OrderLine("tt-1", 1, eur(967), eur(0)),), fee=33)
    parts = []
    for amount, complete in ((333, False), (333, False), (334, True)):
        fee_part = o.fee_to_reverse(eur(amount))
        parts.append(fee_part)
        o.record_refund(T0, eur(amount), fee_part, "", complete=complete)
    assert parts == [eur(11), eur(11), eur(11)]
    assert o.fee_refunded == eur(33)


def test_fee_to_reverse_with_uneven_refunds_still_sums_to_the_fee() -> None:
    o = order(OrderStatus.PAID, lines=(OrderLine("tt-1", 3, eur(2500), eur(0)),), fee=225)
    for amount, complete in ((1000, False), (2575, False), (1, False), (4149, True)):
        o.record_refund(T0, eur(amount), o.fee_to_reverse(eur(amount)), "", complete=complete)
    assert o.fee_refunded == eur(225)
    assert o.status is OrderStatus.REFUNDED


def test_free_order_reverses_no_fee() -> None:
    o = order(OrderStatus.PAID, lines=(OrderLine("tt-free", 1, eur(0), eur(0)),))
    assert o.fee_to_reverse(eur(0)) == eur(0)


def test_quantities_by_type_and_admissions() -> None:
    lines = (OrderLine("tt-a", 2, eur(100), eur(0)), OrderLine("tt-b", 3, eur(100), eur(0)))
    o = order(lines=lines)
    assert o.quantities_by_type() == {"tt-a": 2, "tt-b": 3}
    assert o.admissions == 5


# == Ticket =================================================================================


def ticket(**kw: object) -> Ticket:
    return builders.ticket(id="tkt-1", order_id="ord-1", event_id="evt-1", **kw)


def test_issued_ticket_is_active_and_recorded() -> None:
    t = Ticket.issue(
        id="tkt-1",
        order_id="ord-1",
        event_id="evt-1",
        ticket_type_id="tt-1",
        secret="s",
        price_paid=eur(2500),
        now=T0,
    )
    assert (t.status, t.issued_at) == (TicketStatus.ACTIVE, T0)


def test_active_ticket_can_be_checked_in() -> None:
    t = ticket()
    t.check_in(T0, "Dee")
    assert (t.status, t.checked_in_at, t.checked_in_by) == (TicketStatus.CHECKED_IN, T0, "Dee")


def test_checked_in_ticket_cannot_be_checked_in_again() -> None:
    t = ticket()
    t.check_in(T0, "Dee")
    assert_invalid_transition(lambda: t.check_in(T0, "Eve"))
    assert t.checked_in_by == "Dee"


def test_undoing_a_check_in_makes_the_ticket_active_again() -> None:
    t = ticket()
    t.check_in(T0, "Dee")
    t.undo_check_in()
    assert (t.status, t.checked_in_at, t.checked_in_by) == (TicketStatus.ACTIVE, None, "")


def test_active_ticket_has_no_check_in_to_undo() -> None:
    assert_invalid_transition(ticket().undo_check_in)


def test_active_ticket_can_be_revoked() -> None:
    t = ticket()
    t.revoke()
    assert t.status is TicketStatus.REVOKED


def test_checked_in_ticket_cannot_be_revoked() -> None:
    t = ticket()
    t.check_in(T0, "Dee")
    assert_invalid_transition(t.revoke)


def test_revoked_ticket_cannot_be_checked_in_revoked_or_undone() -> None:
    t = ticket()
    t.revoke()
    assert_invalid_transition(lambda: t.check_in(T0, "Dee"))
    assert_invalid_transition(t.revoke)
    assert_invalid_transition(t.undo_check_in)


def test_a_disputed_ticket_is_frozen_then_reinstated_or_revoked() -> None:
    t = ticket()
    t.freeze()
    assert t.status is TicketStatus.FROZEN
    assert_invalid_transition(lambda: t.check_in(T0, "Dee"))
    assert_invalid_transition(t.freeze)
    t.reinstate()
    assert t.status is TicketStatus.ACTIVE
    assert_invalid_transition(t.reinstate)
    t.freeze()
    t.revoke()
    assert t.status is TicketStatus.REVOKED
    assert_invalid_transition(t.reinstate)


def test_a_used_ticket_is_not_frozen() -> None:
    t = ticket()
    t.check_in(T0, "Dee")
    assert_invalid_transition(t.freeze)


def test_the_platform_fee_returned_is_the_providers_figure() -> None:
    eur, fee = Money(5000, "EUR"), Money(150, "EUR")
    o = builders.order(status=OrderStatus.PAID,
                       totals=OrderTotals(eur, eur - eur, eur - eur, fee, eur + fee))  # fmt: skip
    change = o.settle_fee_returned(Money(1, o.currency))
    assert (change, o.fee_refunded) == (Money(1, o.currency), Money(1, o.currency))
    assert o.settle_fee_returned(Money(0, o.currency)) == Money(-1, o.currency)
    for wrong in (Money(-1, o.currency), fee + Money(1, o.currency), Money(1, "USD")):
        with pytest.raises(ValidationFailed):
            o.settle_fee_returned(wrong)


# == decide_check_in ========================================================================


def scan(
    *,
    ticket_status: TicketStatus = TicketStatus.ACTIVE,
    order_status: OrderStatus = OrderStatus.PAID,
    event_status: EventStatus = EventStatus.PUBLISHED,
    scan_event_id: str = "evt-1",
    direction: ScanDirection = ScanDirection.ENTRY,
    checked_in_by: str = "Dee",
) -> CheckInDecision:
    t = ticket()
    if ticket_status is TicketStatus.CHECKED_IN:
        t.check_in(datetime(2030, 1, 1, 19, 5, tzinfo=UTC), checked_in_by)
    elif ticket_status is TicketStatus.REVOKED:
        t.revoke()
    elif ticket_status is TicketStatus.FROZEN:
        t.freeze()
    e = event(status=event_status)
    return decide_check_in(t, order(order_status), e, scan_event_id, direction)


def test_paid_active_ticket_is_welcome() -> None:
    decision = scan()
    assert decision.accepted
    assert (decision.result, decision.reason, decision.message) == (
        CheckInResult.ACCEPTED,
        None,
        "welcome",
    )


def test_partially_refunded_order_still_admits() -> None:
    assert scan(order_status=OrderStatus.PARTIALLY_REFUNDED).accepted


REJECTIONS = {
    RejectionReason.WRONG_EVENT: {"scan_event_id": "evt-other"},
    RejectionReason.EVENT_CANCELLED: {"event_status": EventStatus.CANCELLED},
    RejectionReason.REVOKED: {"ticket_status": TicketStatus.REVOKED},
    RejectionReason.DISPUTED: {"ticket_status": TicketStatus.FROZEN},
    RejectionReason.UNPAID: {"order_status": OrderStatus.PENDING},
    RejectionReason.ALREADY_CHECKED_IN: {"ticket_status": TicketStatus.CHECKED_IN},
    RejectionReason.NOT_CHECKED_IN: {"direction": ScanDirection.EXIT},
}


def test_every_reason_not_about_the_token_is_decided_here() -> None:
    token_reasons = {RejectionReason.INVALID_SIGNATURE, RejectionReason.UNKNOWN_TICKET}
    assert set(REJECTIONS) == set(RejectionReason) - token_reasons


@pytest.mark.parametrize(("reason", "kw"), REJECTIONS.items(), ids=[r.value for r in REJECTIONS])
def test_scan_is_rejected_for(reason: RejectionReason, kw: dict[str, object]) -> None:
    decision = scan(**kw)
    assert not decision.accepted
    assert (decision.result, decision.reason) == (CheckInResult.REJECTED, reason)
    assert decision.message


@pytest.mark.parametrize(
    "status",
    [
        OrderStatus.PENDING,
        OrderStatus.EXPIRED,
        OrderStatus.CANCELLED,
        OrderStatus.FAILED,
        OrderStatus.REFUNDED,
    ],
)
def test_unpaid_order_does_not_admit(status: OrderStatus) -> None:
    assert scan(order_status=status).reason is RejectionReason.UNPAID


def test_second_entry_says_when_and_by_whom() -> None:
    decision = scan(ticket_status=TicketStatus.CHECKED_IN)
    assert decision.message == "already checked in at 19:05 UTC by Dee"


def test_second_entry_without_staff_name_says_unknown() -> None:
    decision = scan(ticket_status=TicketStatus.CHECKED_IN, checked_in_by="")
    assert decision.message.endswith("by unknown")


def test_exit_of_a_checked_in_ticket_is_accepted() -> None:
    decision = scan(ticket_status=TicketStatus.CHECKED_IN, direction=ScanDirection.EXIT)
    assert decision.accepted
    assert decision.message == "goodbye"


def test_wrong_event_is_checked_before_anything_else() -> None:
    decision = scan(
        scan_event_id="evt-other",
        event_status=EventStatus.CANCELLED,
        ticket_status=TicketStatus.REVOKED,
        order_status=OrderStatus.PENDING,
    )
    assert decision.reason is RejectionReason.WRONG_EVENT


def test_cancelled_event_is_checked_before_revocation() -> None:
    decision = scan(event_status=EventStatus.CANCELLED, ticket_status=TicketStatus.REVOKED)
    assert decision.reason is RejectionReason.EVENT_CANCELLED


# == Ledger =================================================================================


def test_transfer_debits_one_account_and_credits_the_other() -> None:
    tx = transfer(
        id="tx-1",
        kind=TransactionKind.SALE,
        debit=CLEARING,
        credit=organizer_payable("org-1"),
        amount=eur(5150),
        now=T0,
        description="sale",
    )
    assert tx.entries == (
        Entry(CLEARING, eur(5150)),
        Entry("organizer_payable:org-1", eur(-5150)),
    )


def test_unbalanced_transaction_is_refused() -> None:
    with pytest.raises(LedgerUnbalanced) as exc:
        LedgerTransaction(
            id="tx-1",
            kind=TransactionKind.ADJUSTMENT,
            occurred_at=T0,
            entries=(Entry(CLEARING, eur(100)), Entry(PLATFORM_REVENUE, eur(-99))),
        )
    assert exc.value.code == "ledger_unbalanced"


def test_transaction_needs_two_entries() -> None:
    with pytest.raises(ValidationFailed):
        LedgerTransaction(
            id="tx-1",
            kind=TransactionKind.ADJUSTMENT,
            occurred_at=T0,
            entries=(Entry(CLEARING, eur(0)),),
        )


def test_multi_currency_transaction_balancing_per_currency_is_accepted() -> None:
    tx = LedgerTransaction(
        id="tx-1",
        kind=TransactionKind.ADJUSTMENT,
        occurred_at=T0,
        entries=(
            Entry(CLEARING, eur(100)),
            Entry(PLATFORM_REVENUE, eur(-100)),
            Entry(CLEARING, Money(900, "JPY")),
            Entry(PLATFORM_REVENUE, Money(-900, "JPY")),
        ),
    )
    assert len(tx.entries) == 4


def test_multi_currency_transaction_must_balance_in_each_currency() -> None:
    with pytest.raises(LedgerUnbalanced):
        LedgerTransaction(
            id="tx-1",
            kind=TransactionKind.ADJUSTMENT,
            occurred_at=T0,
            entries=(Entry(CLEARING, eur(100)), Entry(PLATFORM_REVENUE, Money(-100, "USD"))),
        )


def test_reversal_negates_every_entry_and_points_back() -> None:
    original = builders.sale(amount=1000, id="tx-1", reference="pay_1")
    reversal = original.reversal("tx-2", T0 + timedelta(days=1))
    assert reversal.entries == tuple(Entry(e.account, -e.amount) for e in original.entries)
    assert (reversal.reverses, reversal.kind, reversal.order_id, reversal.reference) == (
        "tx-1",
        original.kind,
        original.order_id,
        "pay_1",
    )
    assert reversal.description == "reversal of tx-1"


def test_a_transaction_and_its_reversal_leave_every_balance_at_zero() -> None:
    original = builders.sale(amount=1000, id="tx-1")
    totals = balances([original, original.reversal("tx-2", T0)])
    assert set(totals.values()) == {0}


def test_balance_of_an_account_sums_its_entries() -> None:
    txs = [builders.sale(amount=1000), builders.sale(amount=500)]
    assert balance_of(txs, CLEARING, "EUR") == eur(1500)
    assert balance_of(txs, organizer_payable("org-1"), "EUR") == eur(-1500)
    assert balance_of(txs, PLATFORM_REVENUE, "EUR") == eur(0)


# == Outbox =================================================================================


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (50, 3600)],
)
def test_backoff_doubles_from_thirty_seconds_up_to_an_hour(attempts: int, seconds: int) -> None:
    assert backoff(attempts) == timedelta(seconds=seconds)


def test_failed_delivery_is_retried_later() -> None:
    m = builders.outbox_message()
    m.failed(T0, "mail server unavailable")
    assert (m.status, m.attempts, m.available_at) == (
        OutboxStatus.PENDING,
        1,
        T0 + timedelta(seconds=30),
    )
    assert m.last_error == "mail server unavailable"


def test_long_errors_are_truncated() -> None:
    m = builders.outbox_message()
    m.failed(T0, "x" * 2000)
    assert len(m.last_error) == 500


def test_message_is_dead_after_max_attempts() -> None:
    m = builders.outbox_message()
    for n in range(MAX_ATTEMPTS - 1):
        m.failed(T0 + timedelta(hours=n), "down")
    assert m.status is OutboxStatus.PENDING
    m.failed(T0 + timedelta(hours=MAX_ATTEMPTS), "down")
    assert (m.status, m.attempts) == (OutboxStatus.DEAD, MAX_ATTEMPTS)


def test_succeeded_message_is_sent() -> None:
    m = builders.outbox_message()
    m.succeeded()
    assert m.status is OutboxStatus.SENT


# == Hold ===================================================================================


def test_hold_expires_at_its_expiry_time() -> None:
    h = builders.hold(expires_at=T0)
    assert not h.is_expired(T0 - timedelta(seconds=1))
    assert h.is_expired(T0)


def test_quota_builder_is_a_real_quota() -> None:
    assert isinstance(builders.quota(), Quota)
