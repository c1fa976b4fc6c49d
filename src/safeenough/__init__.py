"""safeenough: local-first tools that help psychotherapists build trust with their clients."""

__version__ = "0.1.0"
