"""The parts Library is assembled from, one area of the product each (see library.py)."""
