"""The reference rates shipped with encaisse, loaded by migration 0001.

Plain data (no model import) so that the migration can use it with historical models.
Each row names its source; only rates checked against that source are listed. Later rates
are added by an admin (Django admin, audited) or by a new data migration.
"""

# (kind, valid_from ISO date, rate in percent as a string, source)
RATES = []
