"""The officer's app at a counter."""
