"""mathft.selection."""
