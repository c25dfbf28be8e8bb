"""Operating bangfu: backups and restores (storage level, no Telegram), and the self-check
`bangfu doctor` (an adapter: it asks the Bot API too)."""
