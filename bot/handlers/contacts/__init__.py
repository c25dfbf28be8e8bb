"""✍️ Logging a contact, correcting or withdrawing it, and 📅 this month's progress."""
