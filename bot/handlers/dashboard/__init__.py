"""The office dashboard from the chat: /web sends a one-time sign-in link."""
