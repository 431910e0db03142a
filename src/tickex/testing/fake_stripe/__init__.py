"""A stateful local fake of Stripe's API for tests and offline runs: a real HTTP server on
127.0.0.1 in a thread, speaking Stripe's wire format.

Requests are form-encoded with Stripe's bracket notation (``line_items[0][quantity]=2``),
authenticated with ``Authorization: Bearer <secret key>``; answers are Stripe's JSON
objects, each started from Stripe's own published example of that object
(``stripe_data/fixtures.json``) with the scenario's values put over it, and errors are
Stripe's ``{"error": {"type", "code", "message", "param"}}`` with Stripe's statuses (400
invalid request, 401 bad key, 404 ``resource_missing``, 400 ``idempotency_error`` for a
key reused with other parameters, 409 while the first request with a key is in flight).
``Idempotency-Key`` is honoured as Stripe does: the same key on the same endpoint with the
same parameters answers the first response again (``Idempotent-Replayed: true``) and does
nothing twice. Endpoints::

    POST /v1/checkout/sessions                 create (payment mode, price_data lines)
    GET  /v1/checkout/sessions/{id}            retrieve (expand[] of id fields)
    POST /v1/checkout/sessions/{id}/expire     expire an open session
    POST /v1/refunds                           refund a payment intent or a charge
    POST /v1/accounts                          create a connected account (Connect)
    POST /v1/account_links                     an onboarding (or update) link for one
    GET  /v1/{payment_intents,charges,refunds,balance_transactions,events,accounts,
              disputes,payouts,application_fees,transfers}/{id}
    GET  /checkout/{id}, POST /checkout/{id}   the hosted page a buyer pays on (offline runs)
    GET  /connect/{account}/{link}, POST ...   the onboarding page of an account link

Paying a session (``pay``, or the hosted page) makes what Stripe makes: a PaymentIntent,
its Charge and the Charge's BalanceTransaction (with Stripe's fee), for a destination
charge the Transfer and the ApplicationFee, and the events. The
test side steers the rest::

    with FakeStripe(clock=clock) as stripe:
        endpoint = stripe.add_endpoint(sender)       # a URL, or a callable(body, headers)
        stripe.pay(session_id)                       # paid at once ...
        stripe.pay(session_id, outcome="processing") # ... or a delayed payment method,
        stripe.settle(session_id, succeeded=False)   # which later succeeds or fails
        stripe.expire_due()                          # sessions whose expires_at has passed
        stripe.deliver()                             # send what is queued, in order ...
        stripe.deliver(order="reverse", times=2)     # ... reordered, duplicated
        stripe.drop_next(1)                          # the next delivery is lost in transit
        stripe.send(event, times=5)                  # one event, again and again
        stripe.fail_next(500)                        # the next API request fails
        stripe.add_account("acct_1", charges_enabled=True)  # an account made elsewhere
        stripe.update_account(account_id, charges_enabled=True, currently_due=[])
                                                     # onboarding done: account.updated
        stripe.refund_by_hand(session_id, 1000, reverse_transfer=True)  # the Dashboard
        dispute = stripe.dispute(session_id)         # a chargeback, then decided:
        stripe.close_dispute(dispute["id"], won=False)
        stripe.payout(account_id)                    # a connected account paid out
        stripe.balances[(account_id, "eur")]         # what the account holds (its books)

Webhooks are signed as Stripe signs them: ``Stripe-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>``, one ``v1`` per active secret
while a secret is being rolled (``endpoint.roll_secret()``). An event a delivery did not
reach, or that the endpoint answered with anything but 2xx, stays queued for the next
``deliver()``, as Stripe retries. ``auto_deliver=True`` delivers each event from a
background thread as it happens (``delivery_delay`` seconds later), and
``instant_onboarding=True`` opens connected accounts that can take charges at once: what
an offline ``make run`` needs.
"""

from tickex.testing.fake_stripe.fake import FakeStripe
from tickex.testing.fake_stripe.webhooks import Delivery, Sender, WebhookEndpoint, signature_header
from tickex.testing.fake_stripe.wire import (
    TEST_SECRET_KEY,
    Json,
    StripeFailure,
    decode_form,
    fixtures,
)

__all__ = [
    "TEST_SECRET_KEY",
    "Delivery",
    "FakeStripe",
    "Json",
    "Sender",
    "StripeFailure",
    "WebhookEndpoint",
    "decode_form",
    "fixtures",
    "signature_header",
]
