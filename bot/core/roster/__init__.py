"""The roster (花名册): its columns and row checks, the import, changes decided at meetings,
the people who use the bot and their assignments to households."""
