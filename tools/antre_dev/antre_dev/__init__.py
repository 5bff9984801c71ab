"""Development and test tooling: never installed in a service image."""
