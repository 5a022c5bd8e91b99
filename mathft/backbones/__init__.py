"""mathft.backbones."""
