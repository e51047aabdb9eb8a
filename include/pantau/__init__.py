"""Pantau: integrate ASN political-neutrality cases from Bawaslu, BKN and the BKDs."""

__version__ = "0.1.0"
