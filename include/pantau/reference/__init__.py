"""Reference data as data: controlled vocabularies, header spellings and other lookup tables.

The tables ship as CSV files in ``data/`` (documented in ``data/README.md``); a site adds rows of
its own in the folder named by ``PANTAU_REFERENCE_DIR`` without touching code. Each module here
loads and checks its tables once per process and answers lookups from memory.
"""
