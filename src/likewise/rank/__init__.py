"""Ranking algorithms, one a module: search, similar, fusion, cut-off, feed/trending."""
