"""How a Bawaslu officer or a KASN/BKN clerk writes a person the registry knows.

They drop or abbreviate the prefix the registry keeps (``Wayan Sudarsana`` for ``I Wayan Sudarsana``,
``T. Rizal`` for ``Teuku Rizal``, ``A. Baso`` for ``Andi Baso``, ``LM. Syarif`` for ``La Ode Muhammad
Syarif``), shorten a Makassar daeng name (``Dg.``), spell given names their own way (``Muh.``,
``Mhd.``, ``St.`` for Sitti, ``Hasanudin``), add an Acehnese/Malay patronym (``bin Abdullah``), type in
capitals, and write titles their own way. Every change is reported as a tag for the ground truth.
"""

from __future__ import annotations

import re

import numpy as np

from pantau.simulate.dialect_b.people import PersonName, patronym
from pantau.simulate.dialect_b.titles import respell_titles

# Prefix -> the abbreviations people use for it.
_PREFIX_ABBREV: dict[str, tuple[str, ...]] = {
    "I Wayan": ("I Wyn.", "I Wy."), "I Made": ("I Md.",), "I Nyoman": ("I Nym.", "I Nyn."), "I Ketut": ("I Kt.",),
    "I Putu": ("I Pt.",), "I Gede": ("I Gd.", "I Gde"), "I Kadek": ("I Kd.",), "I Komang": ("I Km.", "I Kmg."),
    "I Nengah": ("I Ngh.",),
    "Ni Wayan": ("Ni Wy.", "Ni Wyn."), "Ni Made": ("Ni Md.",), "Ni Nyoman": ("Ni Nym.",), "Ni Ketut": ("Ni Kt.",),
    "Ni Putu": ("Ni Pt.",), "Ni Kadek": ("Ni Kd.",), "Ni Komang": ("Ni Km.",), "Ni Nengah": ("Ni Ngh.",),
    "Ni Luh Wayan": ("Ni Luh Wy.", "NL Wayan"), "Ni Luh Putu": ("Ni Luh Pt.", "Ni L. Putu", "NL Putu"),
    "Ni Luh Made": ("Ni Luh Md.", "Ni L. Made"), "Ni Luh Kadek": ("Ni Luh Kd.",), "Ni Luh Nyoman": ("Ni Luh Nym.",),
    "Ni Luh Komang": ("Ni Luh Km.",), "Ni Luh Ketut": ("Ni Luh Kt.",), "Ni Luh Nengah": ("Ni Luh Ngh.",),
    "Ida Bagus": ("IB", "I.B.", "Ida Bgs."), "Ida Ayu": ("IA", "I.A.", "Dayu"),
    "Anak Agung": ("A.A.", "AA", "A.A"), "Cokorda": ("Cok.", "Cokorde", "Tjokorda"),
    "I Gusti Ngurah": ("I Gst. Ngr.", "IGN", "I Gusti Ngr."), "I Gusti Bagus": ("I Gst. Bagus", "IGB"),
    "I Gusti Ayu": ("I Gst. Ayu", "IGA", "I Gst. A."), "I Gusti": ("I Gst.",), "I Dewa": ("I Dw.", "Dewa"),
    "Desak": ("Dsk.",), "Andi": ("A.", "A"), "La Ode": ("LD.", "La Ode"), "Wa Ode": ("WD.", "Wd."),
    "Teuku": ("T.", "Tgk.", "T"), "Cut": ("C.",), "Tengku": ("Tg.", "T.", "Tgk.", "Tgku."), "Raja": ("R.",),
    "Said": ("Sayed", "Syed", "S."), "Syarifah": ("Sy.", "Sharifah"), "Wan": ("W.",),
    "Raden": ("R.", "R"), "Raden Mas": ("R.M.", "RM", "R. Mas"), "Raden Ajeng": ("R.A.", "RA"),
    "Raden Roro": ("Rr.", "R.R.", "R.r."), "Raden Ayu": ("R.Ay.", "R.A."),
}
_MUHAMMAD = {"sulsel": ("Muh.", "Muhammad", "Muh", "M."), "aceh_malay": ("Mhd.", "M.", "Muhd.", "Muhamad"),
             "java": ("Moh.", "M.", "Mochamad", "Muhamad"), "other": ("M.", "Muhamad", "Mohammad", "Muh.")}
_SPELLINGS = (  # regular respellings of given names, one applied
    (r"ddin\b", "din"), (r"(?<=[aiu])din\b", "ddin"), (r"dh", "d"), (r"kh", "h"), (r"\bSy", "S"), (r"\bAbdul\b", "Abd."),
    (r"\bSitti\b", "St."), (r"\bSiti\b", "St."), (r"ky\b", "ki"), (r"ki\b", "ky"), (r"\bAch", "Ah"), (r"\bAh", "Ach"),
    (r"ie\b", "i"), (r"y\b", "i"), (r"ae", "ai"), (r"\bZ", "Dz"), (r"f\b", "p"), (r"q", "k"),
)
# The pre-1972 spelling survives in Javanese (and some Malay) names: Soekamto, Djoko, Noer.
_OLD_SPELLINGS = ((r"oe", "u"), (r"\bSu(?=[kmnprtwy])", "Soe"), (r"\bJ", "Dj"), (r"\bNur", "Noer"), (r"\bC", "Tj"))


def _choice(seq: tuple[str, ...], x: float) -> str:
    return seq[min(int(x * len(seq)), len(seq) - 1)]


def _drop_prefix(prefix: str, x: float) -> str:
    """What remains of the prefix when a writer drops it (Balinese I/Ni go, the birth order stays)."""
    toks = prefix.split(" ")
    if toks[0] in ("I", "Ni") and len(toks) > 1 and x < 0.85:
        rest = toks[1:]
        if rest[0] == "Luh" and x < 0.3 and len(rest) > 1:
            rest = rest[1:]
        return " ".join(rest)
    if toks[0] in ("Ida", "Anak", "Cokorda") and len(toks) > 2 and x < 0.7:
        return " ".join(toks[2:])  # Ida Bagus Ketut -> Ketut, Anak Agung Gede -> Gede
    return ""


def _abbreviate_prefix(prefix: str, x: float) -> str | None:
    for n in range(len(prefix.split(" ")), 0, -1):
        head = " ".join(prefix.split(" ")[:n])
        alts = _PREFIX_ABBREV.get(head)
        if alts:
            tail = " ".join(prefix.split(" ")[n:])
            return f"{_choice(alts, x)} {tail}".strip()
    return None


def _muhammad_style(province_code: str, group: str) -> str:
    if province_code in ("73", "74"):
        return "sulsel"
    if group == "aceh_malay" or province_code in ("11", "14", "21"):
        return "aceh_malay"
    if province_code in ("33", "34", "35"):
        return "java"
    return "other"


def _respell(core: str, u: np.ndarray, province_code: str, group: str) -> str | None:
    if re.search(r"\bMuhammad\b", core) and u[0] < 0.7:
        alt = _choice(_MUHAMMAD[_muhammad_style(province_code, group)], u[1])
        if alt != "Muhammad":
            return re.sub(r"\bMuhammad\b", alt, core, count=1)
    rules = _SPELLINGS + (_OLD_SPELLINGS if group in ("javanese", "javanese_noble") else ())
    start = int(u[2] * len(rules))
    for k in range(len(rules)):
        pat, rep = rules[(start + k) % len(rules)]
        new = re.sub(pat, rep, core, count=1)
        if new != core:
            return new
    return None


def _typo(core: str, x: float, y: float) -> str:
    letters = [i for i, ch in enumerate(core) if ch.isalpha()]
    if len(letters) < 5:
        return core
    i = letters[1 + int(x * (len(letters) - 2))]
    if y < 0.5:
        return core[:i] + core[i + 1:]  # a letter left out
    return core[:i] + core[i] + core[i:]  # a letter doubled


# Rates per source: Bawaslu officers write from what the public reports; the KASN/BKN clerks copy
# from the forwarded file and the NIP, so they keep more of the registered form.
RATES = {
    "bawaslu": {"prefix_dropped": 0.22, "prefix_abbreviated": 0.18, "daeng_short": 0.4, "spelling": 0.12,
                "typo": 0.03, "patronym": 0.12, "upper": 0.10},
    "export": {"prefix_dropped": 0.08, "prefix_abbreviated": 0.12, "daeng_short": 0.3, "spelling": 0.07,
               "typo": 0.015, "patronym": 0.02, "upper": 0.05},
}


def write_person(u: np.ndarray, name: PersonName, group: str, gender: int, front: str, back: str,
                 province_code: str, muslim: bool, source: str) -> tuple[str, list[str]]:
    """The name as ``source`` writes it and the tags of what was changed. ``u``: 24 uniforms."""
    r = RATES[source]
    tags: list[str] = []
    prefix, core, suffix = name.prefix, name.core, name.suffix
    if prefix:
        if u[0] < r["prefix_dropped"]:
            prefix = _drop_prefix(prefix, u[1])
            tags.append("prefix_dropped")
        elif u[0] < r["prefix_dropped"] + r["prefix_abbreviated"]:
            short = _abbreviate_prefix(prefix, u[1])
            if short and short != prefix:
                prefix = short
                tags.append("prefix_abbreviated")
    if suffix and u[2] < r["daeng_short"]:
        if u[3] < 0.75:
            suffix = suffix.replace("Daeng", "Dg.")
            tags.append("daeng_abbreviated")
        else:
            suffix = ""
            tags.append("daeng_dropped")
    if u[4] < r["spelling"]:
        new = _respell(core, u[5:8], province_code, group)
        if new and new != core:
            core = new
            tags.append("spelling_variant")
    if u[8] < r["typo"]:
        new = _typo(core, u[9], u[10])
        if new != core:
            core = new
            tags.append("name_typo")
    text = " ".join(p for p in (prefix, core, suffix) if p)
    if group == "aceh_malay" and u[11] < r["patronym"]:
        text = f"{text} {patronym(u[12], gender)}"
        tags.append("patronym_added")
    f, b, kind = respell_titles(u[13:18], front, back, gender, muslim)
    if kind:
        tags.append(kind)
    written = f"{f} {text}".strip()
    if b:
        written = f"{written}, {b}"
    if u[18] < r["upper"]:
        written = written.upper()
        tags.append("name_uppercase")
    return written, tags
