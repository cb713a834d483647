"""The reference rates shipped with encaisse, loaded by migration 0001.

Plain data (no model import) so that the migration can use it with historical models.
Each row names its source; only rates checked against that source are listed. Later ECB
rates are recorded by `encaisse rates update` (collection/ecb.py), later legal interest
rates entered by an admin (Django admin, audited).

A row is in force from its date until the next row of its kind, and never past the end of
its half-year (see rates.rate_on): the law reads the ECB rate in force on 1 January and
1 July, and the legal interest rate is fixed per half-year, so each half-year has its own
row, dated the 1st of January or July. ECB changes inside a half-year are kept as well,
for the record and for contractual clauses that follow the ECB rate.
"""

ECB = "ecb_mro"
PRO = "legal_interest_pro"
PRIVATE = "legal_interest_private"

BDF = "Banque de France, « Taux directeurs de la BCE », date d'effet"

# (kind, valid_from ISO date, rate in percent as a string, source)
RATES = [
    # ECB main refinancing operations (fixed rate tenders), by date of effect.
    (
        ECB,
        "2023-01-01",
        "2.50",
        f"Taux en vigueur au 1er janvier 2023 (effet au 21/12/2022) - {BDF}",
    ),
    (ECB, "2023-02-08", "3.00", f"BCE, effet au 8 février 2023 - {BDF}"),
    (ECB, "2023-03-22", "3.50", f"BCE, effet au 22 mars 2023 - {BDF}"),
    (ECB, "2023-05-10", "3.75", f"BCE, effet au 10 mai 2023 - {BDF}"),
    (ECB, "2023-06-21", "4.00", f"BCE, effet au 21 juin 2023 - {BDF}"),
    (
        ECB,
        "2023-07-01",
        "4.00",
        f"Taux en vigueur au 1er juillet 2023 (effet au 21/06/2023) - {BDF}",
    ),
    (ECB, "2023-08-02", "4.25", f"BCE, effet au 2 août 2023 - {BDF}"),
    (ECB, "2023-09-20", "4.50", f"BCE, effet au 20 septembre 2023 - {BDF}"),
    (
        ECB,
        "2024-01-01",
        "4.50",
        f"Taux en vigueur au 1er janvier 2024 (effet au 20/09/2023) - {BDF}",
    ),
    (ECB, "2024-06-12", "4.25", "BCE, décision du 6 juin 2024, en vigueur le 12 juin 2024"),
    (
        ECB,
        "2024-07-01",
        "4.25",
        "Taux en vigueur au 1er juillet 2024 (effet au 12/06/2024, inchangé le 18/07/2024)",
    ),
    (ECB, "2024-09-18", "3.65", f"BCE, effet au 18 septembre 2024 - {BDF}"),
    (
        ECB,
        "2024-10-23",
        "3.40",
        f"BCE, décision du 17 octobre 2024, effet au 23 octobre 2024 - {BDF}",
    ),
    (
        ECB,
        "2024-12-18",
        "3.15",
        "BCE, décision du 12 décembre 2024, en vigueur le 18 décembre 2024",
    ),
    (ECB, "2025-01-01", "3.15", "Taux en vigueur au 1er janvier 2025 (BCE, effet au 18/12/2024)"),
    (ECB, "2025-02-05", "2.90", "BCE, décision du 30 janvier 2025, en vigueur le 5 février 2025"),
    (ECB, "2025-03-12", "2.65", "BCE, décision du 6 mars 2025, en vigueur le 12 mars 2025"),
    (ECB, "2025-04-23", "2.40", "BCE, décision du 17 avril 2025, en vigueur le 23 avril 2025"),
    (ECB, "2025-06-11", "2.15", "BCE, décision du 5 juin 2025, en vigueur le 11 juin 2025"),
    (ECB, "2025-07-01", "2.15", "Taux en vigueur au 1er juillet 2025 (BCE, effet au 11/06/2025)"),
    (
        ECB,
        "2026-01-01",
        "2.15",
        "Taux en vigueur au 1er janvier 2026 (BCE, effet au 11/06/2025, inchangé le 18/12/2025)",
    ),
    # Legal interest rate (C. mon. fin. L.313-2, D.313-1-A), fixed each half-year by arrêté.
    (PRO, "2023-01-01", "2.06", "Arrêté du 26 décembre 2022, en vigueur le 1er janvier 2023"),
    (PRIVATE, "2023-01-01", "4.47", "Arrêté du 26 décembre 2022, en vigueur le 1er janvier 2023"),
    (PRO, "2023-07-01", "4.22", "Arrêté du 27 juin 2023 (ECOT2317028A), JO du 30 juin 2023"),
    (PRIVATE, "2023-07-01", "6.82", "Arrêté du 27 juin 2023 (ECOT2317028A), JO du 30 juin 2023"),
    (PRO, "2024-01-01", "5.07", "Arrêté fixant le taux pour le 1er semestre 2024 (JORF)"),
    (PRIVATE, "2024-01-01", "8.01", "Arrêté fixant le taux pour le 1er semestre 2024 (JORF)"),
    (PRO, "2024-07-01", "4.92", "Arrêté fixant le taux pour le 2nd semestre 2024 (JORF)"),
    (PRIVATE, "2024-07-01", "8.16", "Arrêté fixant le taux pour le 2nd semestre 2024 (JORF)"),
    (PRO, "2025-01-01", "3.71", "Arrêté du 17 décembre 2024, en vigueur le 1er janvier 2025"),
    (PRIVATE, "2025-01-01", "7.21", "Arrêté du 17 décembre 2024, en vigueur le 1er janvier 2025"),
    (PRO, "2025-07-01", "2.76", "Arrêté du 19 juin 2025 (ECOT2516925A), JO du 24 juin 2025"),
    (PRIVATE, "2025-07-01", "6.65", "Arrêté du 19 juin 2025 (ECOT2516925A), JO du 24 juin 2025"),
    (PRO, "2026-01-01", "2.62", "Arrêté du 15 décembre 2025, JORF n°0302 du 26 décembre 2025"),
    (PRIVATE, "2026-01-01", "6.67", "Arrêté du 15 décembre 2025, JORF n°0302 du 26 décembre 2025"),
]
