"""The town office's desk: /office, the platform list, /find, /unassigned, /deactivate."""
