"""smooth family (declarations are added here)."""
