"""Dialect b: a second simulated world, written independently of the first (docs/SIMULATOR.md "Dialect b").

It serves the same contracts through the same servers and truth files, but with its own regions,
naming cultures, agency structure (a whole regional government as ``nama_instansi``, the unit in
``unit_kerja``), spellings and conventions, so that Pantau can be measured on data it was not
written against. Nothing here is imported by the product library.
"""
