"""mathft.callbacks."""
