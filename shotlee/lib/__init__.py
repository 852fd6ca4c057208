"""Pure code: no Django models, no I/O, fully typed."""
