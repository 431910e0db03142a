"""Sales over HTTP: a buyer's orders (``/v1/orders``), the local provider's checkout page
(``/pay``), Stripe's webhook (``/webhooks/stripe``) and the organizer's refunds
(``/v1/organizer/orders/.../refund``)."""
