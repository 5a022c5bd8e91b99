"""Tests of the end-to-end pipeline (config, stage runner, report)."""
