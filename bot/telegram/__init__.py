"""Telegram plumbing: the Bot and Dispatcher, middlewares, the session that splits and paces
every call, the proxy, and where office work may be shown."""
