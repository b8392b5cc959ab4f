"""Offline evaluation behind `likewise eval`: test collections, retrieval runs, query by example,
relevance cut-off fitting and its sources, and paired significance tests."""
