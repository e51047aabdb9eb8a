"""Digest e-mails to PPK offices and escalations to BKN/Kemendagri."""
