"""Merchant insights: the best time to go live, what sells, who stays, and a forecast of
the next show. Web-free query and computation modules, thin views in `views.py`; the
forecast's model lives in `forecast/` and is retrained by a background job."""
