"""Jangteo Live: composition root and the shared core (settings, db, accounts, shows)."""
