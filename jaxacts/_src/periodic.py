"""periodic family (declarations are added here)."""
