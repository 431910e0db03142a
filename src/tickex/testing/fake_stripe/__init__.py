"""A stateful local fake of Stripe's API for tests and offline runs (see ``fake``)."""

from tickex.testing.fake_stripe.fake import (
    TEST_SECRET_KEY,
    Delivery,
    FakeStripe,
    Json,
    Sender,
    StripeFailure,
    WebhookEndpoint,
    decode_form,
    fixtures,
    signature_header,
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
