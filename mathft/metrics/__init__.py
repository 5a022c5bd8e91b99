"""mathft.metrics."""
