"""mathft.datamodules."""
