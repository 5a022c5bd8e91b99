"""mathft.grading."""
