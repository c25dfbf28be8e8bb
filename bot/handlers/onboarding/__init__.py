"""Getting in and around: /start with an invite, the menu and /help, the gate for strangers."""
