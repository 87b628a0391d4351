"""lgcloud — an open-source 自治体クラウド (shared municipal cloud)."""

__version__ = "0.1.0"
