"""Reference data shipped as files: regions, agency types and vocabularies (see data/README.md)."""
