"""The core: use cases grouped by the domain's concepts, plain Python over bot/storage/.
No module here imports aiogram, aiohttp, a spreadsheet or chart writer, or an adapter
(tests/unit/test_architecture.py); Telegram, the scheduler, the CLI and the web call it."""
