"""surrogate family (declarations are added here)."""
