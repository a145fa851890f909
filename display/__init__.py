"""The TV call display."""
