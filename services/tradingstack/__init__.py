"""TradingStack: a self-hosted AI trading-analysis stack."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tradingstack")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+local"
