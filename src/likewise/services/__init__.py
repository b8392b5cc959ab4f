"""The services Library composes, one area of the product each (see library.py and
docs/architecture.md)."""
