"""The data service: the only gateway to external market data."""
