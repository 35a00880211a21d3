"""Checkout: catalog, show line-up, pinning and flash sales, stock reservations, orders,
Stripe payments, webhooks and refunds. The factory (`server/app.py`) builds the payment
gateway and the `Checkout` service (checkout/service.py), runs its sweeper, and adds
`checkout.views.routes` and `checkout.pages.routes`."""
