"""Nearest-neighbour search behind one protocol (index/base.py)."""
