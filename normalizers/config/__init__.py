"""AWS Config: configuration items and rule compliance changes (docs/sources/config.md)."""
