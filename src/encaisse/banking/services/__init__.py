"""The banking services: accounts (`accounts`), statement import (`imports`), the watched
folders (`watch`)."""
