"""mathft.data."""
