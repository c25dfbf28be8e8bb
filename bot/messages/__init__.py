"""What Telegram messages say and which buttons they carry: replies' views and the scheduled
notices alike, and the table of renderers by MessageKind (renderers.py)."""
