"""External services the leads app reads from, each an interface with a production adapter and
an in-process fake (see aqari/providers for the shared fake machinery)."""
