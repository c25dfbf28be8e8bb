"""Contacts (走访记录): logging one, correcting or withdrawing one's own, their rules and the
household income they record."""
