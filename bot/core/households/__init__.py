"""Households (农户): a contact person's list, search and card; a household's history."""
