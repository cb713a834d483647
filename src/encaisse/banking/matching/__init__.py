"""The reconciliation's pure part: reading the bank's texts (text.py) and scoring a
line's candidates against an in-memory book (engine.py). No database here: the
services load the book once and apply what the engine decides."""
