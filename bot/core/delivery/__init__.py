"""Delivery (送达): the outbox every started message goes through, its kinds, when it may
send, and whether a person can be reached."""
