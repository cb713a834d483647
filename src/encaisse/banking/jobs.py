"""The banking jobs, registered when the jobs app autodiscovers this module."""

from .services import imports, watch  # noqa: F401  (import lane: banking.import_file, banking.watch_folders)
