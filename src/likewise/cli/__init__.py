"""The `likewise` command: parse, call Library, print."""
