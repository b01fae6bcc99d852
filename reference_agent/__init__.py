"""Reference agent: the book demo agent (naive) and its production form (hardened)."""
