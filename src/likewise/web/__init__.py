"""HTTP: every HTML page has a JSON twin from the same view."""
