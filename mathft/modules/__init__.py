"""mathft.modules."""
