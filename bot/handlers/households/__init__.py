"""🏠 My households (list, search, card) and a household's 📜 history."""
