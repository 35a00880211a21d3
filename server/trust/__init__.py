"""What Korean e-commerce law (전자상거래법) asks of a live-commerce platform: the seller's
identity shown wherever a show sells, the platform's own identity and its role as an
intermediary, withdrawals (청약철회), the evidence kept with an order, reports of a
show, and how long records are kept.

Checkout's data (orders, refunds, payment events) is read here directly: these are the
records the law is about; every change of money still goes through the `Checkout`
service handed in by the app factory.
"""
