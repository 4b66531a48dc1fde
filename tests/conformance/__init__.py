"""Conformance of the emulators to the providers' own shapes (JSON schemas we wrote from their documentation)."""
