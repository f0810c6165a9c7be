"""Notifications: the outbox written with each event, delivery by e-mail and webhook, the in-app bell."""
