"""normalizers family (declarations are added here)."""
