"""Roster changes decided at a meeting (会议记录), in the chat."""
