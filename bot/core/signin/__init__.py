"""Signing in to the office dashboard: one-time links (sent by /web) and web sessions."""
