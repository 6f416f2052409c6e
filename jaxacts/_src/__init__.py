"""Implementation of jaxacts; nothing here is imported by users directly."""
