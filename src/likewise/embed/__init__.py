"""Text to vectors behind one protocol (embed/base.py)."""
