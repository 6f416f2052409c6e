"""sigmoids family (declarations are added here)."""
