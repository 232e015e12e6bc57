"""``siem`` subcommands: each module exposes ``register(subparsers)``."""
