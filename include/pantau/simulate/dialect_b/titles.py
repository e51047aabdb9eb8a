"""Academic, professional and religious titles by occupation, and the ways people re-type them.

Professions carry their own titles: nurses ``A.Md.Kep.`` (older diploma ``AMK``) or ``S.Kep., Ns.`` (now
also ``Ns.`` in front), midwives ``A.Md.Keb.``/``S.Tr.Keb.`` with ``Bd.`` in front since 2020, doctors
``dr.``, dentists ``drg.``, pharmacists ``apt.`` in front (earlier ``S.Farm., Apt.`` behind), teachers of
Islamic religion ``S.Pd.I.``, Hindu religion ``S.Pd.H.``, graduates of the civil-service academy
``S.STP``. ``H.``/``Hj.`` after the Hajj.
"""

from __future__ import annotations

import numpy as np

# (front, back, weight) per occupation; a weight list is normalised when drawn.
_BY_JOB: dict[str, tuple[tuple[str, str, float], ...]] = {
    "teacher": (("", "S.Pd.", 55), ("", "S.Pd.SD", 12), ("", "S.Pd., M.Pd.", 9), ("", "S.Si.", 4), ("", "S.S.", 2),
                ("Dra.", "", 2), ("Drs.", "", 2), ("", "", 5), ("", "S.Pd., Gr.", 4)),
    "teacher_islam": (("", "S.Pd.I.", 50), ("", "S.Ag.", 20), ("", "S.Pd.", 15), ("", "M.Pd.I.", 8), ("", "Lc.", 2)),
    "teacher_hindu": (("", "S.Pd.H.", 55), ("", "S.Ag.", 25), ("", "M.Pd.H.", 10), ("", "S.Pd.", 10)),
    "nurse": (("", "A.Md.Kep.", 45), ("", "S.Kep., Ns.", 25), ("Ns.", "S.Kep.", 15), ("", "AMK", 5), ("", "S.Tr.Kep.", 5),
              ("", "", 5)),
    "midwife": (("", "A.Md.Keb.", 50), ("", "S.Tr.Keb.", 12), ("Bd.", "S.Tr.Keb.", 10), ("", "S.ST.", 10),
                ("Bd.", "S.Keb.", 8), ("", "", 10)),
    "doctor": (("dr.", "", 50), ("dr.", "M.Kes.", 15), ("dr.", "Sp.PD", 8), ("dr.", "Sp.OG", 6), ("dr.", "Sp.A", 6),
               ("dr.", "Sp.B", 5), ("dr.", "M.M.", 5), ("dr.", "Sp.An", 5)),
    "dentist": (("drg.", "", 70), ("drg.", "M.Kes.", 15), ("drg.", "Sp.KG", 15)),
    "pharmacist": (("apt.", "S.Farm.", 60), ("", "S.Farm., Apt.", 40)),
    "health": (("", "S.KM.", 35), ("", "A.Md.Gz.", 10), ("", "S.Gz.", 10), ("", "A.Md.KL", 10), ("", "S.Tr.Kes.", 15),
               ("", "A.Md.AK", 5), ("", "", 15)),
    "admin": (("", "S.E.", 15), ("", "S.Sos.", 12), ("", "S.H.", 10), ("", "S.IP.", 8), ("", "S.Kom.", 8), ("", "S.T.", 6),
              ("", "S.P.", 4), ("", "S.Ak.", 4), ("", "A.Md.", 10), ("", "", 20), ("", "S.E., M.M.", 3)),
    "structural": (("", "S.STP, M.Si.", 15), ("", "S.Sos., M.Si.", 15), ("", "S.E., M.Si.", 10), ("", "S.H., M.H.", 10),
                   ("", "S.T., M.T.", 8), ("", "S.Pd., M.Pd.", 7), ("", "S.IP., M.AP.", 7), ("", "M.M.", 8),
                   ("Drs.", "M.Si.", 5), ("Dra.", "M.M.", 3), ("Ir.", "", 4), ("Dr.", "S.H., M.H.", 3), ("Ir.", "M.T.", 2)),
    "religious": (("", "S.Ag.", 30), ("", "S.H.I.", 15), ("", "S.Pd.I.", 20), ("", "M.Ag.", 10), ("", "Lc.", 5),
                  ("", "S.Th.I.", 5), ("", "S.Sos.I.", 10), ("", "", 5)),
    "field": (("", "", 50), ("", "S.H.", 20), ("", "S.Sos.", 15), ("", "A.Md.", 15)),
}
# Front titles that are for one gender only (Drs. men, Dra. women).
_MALE_ONLY = {"Drs."}
_FEMALE_ONLY = {"Dra."}


def draw_titles(u: np.ndarray, job: str, gender: int, hajj: bool) -> tuple[str, str]:
    """(gelar_depan, gelar_belakang) as the registry keeps them. ``u`` holds 2 uniforms."""
    opts = [o for o in _BY_JOB[job] if not (gender == 2 and o[0] in _MALE_ONLY) and
            not (gender == 1 and o[0] in _FEMALE_ONLY)]
    w = np.array([o[2] for o in opts], dtype=float)
    i = int(np.searchsorted(np.cumsum(w / w.sum()), u[0] * 0.99999))
    front, back, _ = opts[i]
    if hajj:
        hj = "H." if gender == 1 else "Hj."
        front = f"{hj} {front}".strip() if front not in ("dr.", "drg.") or u[1] < 0.5 else f"{front} {hj}"
    return front, back


# --------------------------------------------------------------------------- as re-typed by others

_BACK_RESPELL = {
    "A.Md.Kep.": ("Amd.Kep", "A.Md.Kep", "AMK", "Amd. Kep."),
    "A.Md.Keb.": ("Amd.Keb", "A.Md.Keb", "AM.Keb"),
    "S.Kep., Ns.": ("S.Kep.Ns", "S.Kep, Ners", "S.Kep."),
    "S.Pd.": ("S.Pd", "SPd", "S. Pd.", "S.pd"),
    "S.Pd.SD": ("S.Pd.SD.", "S.Pd. SD", "S.Pd"),
    "S.Pd.I.": ("S.Pd.I", "S.PdI", "S.Pd.i"),
    "S.Pd.H.": ("S.Pd.H", "S.PdH"),
    "S.Tr.Kes.": ("S.Tr.Kes", "STr.Kes", "S.Tr. Kes"),
    "S.Tr.Keb.": ("S.Tr.Keb", "STr.Keb"),
    "S.Farm., Apt.": ("S.Farm.,Apt", "S.Farm, Apt."),
    "S.KM.": ("SKM", "S.KM"),
    "S.E.": ("SE", "S.E", "S. E."),
    "S.Sos.": ("S.Sos", "S. Sos"),
    "S.H.": ("SH", "S.H"),
    "S.IP.": ("S.IP", "S.Ip"),
    "S.Ag.": ("S.Ag", "S. Ag"),
    "S.STP, M.Si.": ("S.STP., M.Si", "S.STP,M.Si"),
    "M.Si.": ("M.Si", "MSi"),
}
_FRONT_RESPELL = {"dr.": ("Dr.", "dr"), "drg.": ("Drg.", "drg"), "apt.": ("Apt.",), "Ns.": ("Ners",), "Bd.": ("Bidan",),
                  "H.": ("Haji", "H"), "Hj.": ("Hajjah", "HJ.", "Hj"), "Drs.": ("Drs", "DRS."), "Dra.": ("Dra",),
                  "Ir.": ("Ir",)}


def respell_titles(u: np.ndarray, front: str, back: str, gender: int, muslim: bool) -> tuple[str, str, str]:
    """Titles as a source writes them: dropped, re-punctuated, moved or added. Returns (front, back, kind)."""
    kind = u[0]
    if kind < 0.30:
        return "", "", "title_dropped" if (front or back) else ""
    if kind < 0.42:
        return front, "", "title_dropped" if back else ""
    if kind < 0.75:
        changed = False
        if back:
            parts = [p.strip() for p in back.split(",")]
            whole = _BACK_RESPELL.get(back)
            if whole and u[1] < 0.5:
                back, changed = whole[int(u[2] * len(whole)) % len(whole)], True
            else:
                new = []
                for p in parts:
                    alts = _BACK_RESPELL.get(p)
                    if alts:
                        new.append(alts[int(u[2] * len(alts)) % len(alts)])
                        changed = True
                    else:
                        new.append(p)
                back = ", ".join(new)
        if front:
            toks = front.split(" ")
            out = []
            for t in toks:
                alts = _FRONT_RESPELL.get(t)
                if alts and u[3] < 0.6:
                    out.append(alts[int(u[4] * len(alts)) % len(alts)])
                    changed = True
                else:
                    out.append(t)
            front = " ".join(out)
        return front, back, "title_variant" if changed else ""
    if kind < 0.80 and muslim and "H" not in front:
        # A respondent known locally as Haji/Hajjah although the registry has no such title.
        return f"{'H.' if gender == 1 else 'Hj.'} {front}".strip(), back, "title_variant"
    return front, back, ""
