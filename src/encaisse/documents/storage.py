"""Where archived files live: a Django `Storage`, a folder by default.

Settings (Django setting first, else the environment variable of the same name):

ENCAISSE_ARCHIVE_DIR      the folder; default `<ENCAISSE_DATA_DIR>/archive`
ENCAISSE_ARCHIVE_STORAGE  dotted path of a `Storage` class to use instead of
                          FileSystemStorage (an object store, a WORM volume...); it is
                          built with ENCAISSE_ARCHIVE_STORAGE_OPTIONS (a dict) as keyword
                          arguments, or with `location=` the folder when none are given.

The storage is only ever asked to save a new name, open it and say whether it exists:
the database (documents.ArchivedDocument) holds the hashes that prove the files intact.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string


def _setting(name: str, default=None):
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name) or default
    return value


def archive_dir() -> Path:
    return Path(_setting("ENCAISSE_ARCHIVE_DIR", Path(settings.DATA_DIR) / "archive"))


def archive_storage() -> Storage:
    """The archive's storage, built from the settings as they are now (tests change them)."""
    dotted = _setting("ENCAISSE_ARCHIVE_STORAGE")
    if not dotted:
        # Files are written once and never replaced: read-only for group and others.
        return FileSystemStorage(location=archive_dir(), file_permissions_mode=0o440)
    options = getattr(settings, "ENCAISSE_ARCHIVE_STORAGE_OPTIONS", None)
    if options is None:
        options = {"location": archive_dir()}
    return import_string(dotted)(**options)
