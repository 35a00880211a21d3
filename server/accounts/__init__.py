"""Accounts, roles, stores, sign-in sessions."""
