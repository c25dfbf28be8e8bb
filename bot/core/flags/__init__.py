"""Red flags (红色预警): raising one, the town office's acknowledgement and deadline, the way to
removal (销号), the assistance measures (一户一方案) and the platform's monthly list."""
