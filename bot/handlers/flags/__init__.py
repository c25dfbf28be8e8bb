"""Red flags in the chat: 🚩 reporting a risk, the alert's buttons, removal (销号) and measures."""
