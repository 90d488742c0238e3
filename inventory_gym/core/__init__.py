"""What every problem shares: the shells, spaces and array helpers."""
