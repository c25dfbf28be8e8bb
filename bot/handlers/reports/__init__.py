"""The town office's /summary and /export."""
