"""Tests for pantau.normalize.names.

Throughput (2-CPU dev container, ``time.perf_counter`` around ``name_key_series`` on 6.8M
title-heavy names, a third of them with front and back titles): about 420k rows/s. The perf test
asserts a CI-safe floor.
"""

from __future__ import annotations

import random
import time

import pandas as pd
import pytest

from pantau.normalize.names import HOUSES, name_key_series, prefix_arrays, split_name, split_prefixes

SPLITS: list[tuple[str, tuple[str, ...], str, tuple[str, ...]]] = [
    ("Drs. H. Syafrizal, M.Si", ("Drs.", "H."), "Syafrizal", ("M.Si",)),
    ("H. Ahmad", ("H.",), "Ahmad", ()),
    ("H Ahmad", ("H",), "Ahmad", ()),  # bare H only counts at the front
    ("Haji Ahmad", ("Haji",), "Ahmad", ()),  # the pilgrimage honorific in any spelling
    ("Hajjah Rini Mardiyah, S.pd", ("Hajjah",), "Rini Mardiyah", ("S.pd",)),
    ("Haji Dr. Gatot Sasongko, S.H, M.H.", ("Haji", "Dr."), "Gatot Sasongko", ("S.H", "M.H.")),
    ("Haji", (), "Haji", ()),  # nothing after it: a name
    ("Ahmad H.", (), "Ahmad H.", ()),
    ("Hendra", (), "Hendra", ()),
    ("Ir", (), "Ir", ()),  # nothing after it: a name, not a title
    ("Irwan Prayitno", (), "Irwan Prayitno", ()),
    ("Ir. Soekarno", ("Ir.",), "Soekarno", ()),
    (
        "Prof. Dr. Ir. Djoko Santoso, M.Sc., Ph.D.",
        ("Prof.", "Dr.", "Ir."),
        "Djoko Santoso",
        ("M.Sc.", "Ph.D."),
    ),
    ("dr. Siti Aminah, Sp.A.", ("dr.",), "Siti Aminah", ("Sp.A.",)),
    ("Hj. Tjut Nyak Dhien, S.Pd.I", ("Hj.",), "Tjut Nyak Dhien", ("S.Pd.I",)),
    ("K.H. Ahmad Dahlan", ("K.H.",), "Ahmad Dahlan", ()),
    ("Dra Sulastri", ("Dra",), "Sulastri", ()),
    ("Ust. Abdul Somad, Lc., M.A.", ("Ust.",), "Abdul Somad", ("Lc.", "M.A.")),
    ("Budi Santoso SE", (), "Budi Santoso", ("SE",)),
    ("Budi Santoso S.Pd M.Si", (), "Budi Santoso", ("S.Pd", "M.Si")),
    ("BUDI SANTOSO, S.KOM", (), "Budi Santoso", ("S.KOM",)),
    ("Rina, S.Tr.Keb", (), "Rina", ("S.Tr.Keb",)),  # unknown but degree-shaped after a comma
    ("Yanti, A.Md.Kep.", (), "Yanti", ("A.Md.Kep.",)),
    ("Agus, S.E., M.M.", (), "Agus", ("S.E.", "M.M.")),
    ("Nurhayati, S.Kep., Ns.", (), "Nurhayati", ("S.Kep.", "Ns.")),
    ("Agus Ns", (), "Agus Ns", ()),  # one-part titles need their dot without a comma
    ("Siti Nurhaliza Apt", (), "Siti Nurhaliza Apt", ()),
    ("Ahmad, Budi", (), "Ahmad, Budi", ()),  # a comma before a non-title keeps the text
    ("Ma'ruf Amin", (), "Ma'ruf Amin", ()),
    ("  nur   aini  ", (), "Nur Aini", ()),
    ("Dr.", ("Dr.",), "", ()),
    ("", (), "", ()),
    # Health professions write their professional title in front (and "Bidan" written out).
    ("Ns. Siti Aminah, S.Kep.", ("Ns.",), "Siti Aminah", ("S.Kep.",)),
    ("apt. Budi Santoso, S.Farm.", ("apt.",), "Budi Santoso", ("S.Farm.",)),
    ("Bd. Sri Rahayu, S.Tr.Keb.", ("Bd.",), "Sri Rahayu", ("S.Tr.Keb.",)),
    ("Bidan Sri Rahayu", ("Bidan",), "Sri Rahayu", ()),
    ("Yuliani, S.Tr.Kes.", (), "Yuliani", ("S.Tr.Kes.",)),
    ("Ahmad Fauzi, S.Pd.I.", (), "Ahmad Fauzi", ("S.Pd.I.",)),
    ("Rina Marlina, A.Md.Kep.", (), "Rina Marlina", ("A.Md.Kep.",)),
    # Name prefixes are part of the name (compared as features by the matcher), never titles.
    ("I Wayan Sudarsana, S.Pd.", (), "I Wayan Sudarsana", ("S.Pd.",)),
    ("Andi Baso, S.E.", (), "Andi Baso", ("S.E.",)),
]


@pytest.mark.parametrize(("raw", "front", "core", "back"), SPLITS)
def test_split_name(raw: str, front: tuple[str, ...], core: str, back: tuple[str, ...]) -> None:
    parts = split_name(raw)
    assert (parts.front_titles, parts.core, parts.back_titles) == (front, core, back)
    assert parts.raw == raw


KEYS: list[tuple[str, str]] = [
    ("Drs. H. Syafrizal, M.Si", "syafrizal"),
    ("Soekarno", "sukarno"),
    ("Djoko Widodo", "joko widodo"),
    ("Tjahjo Kumolo", "cahjo kumolo"),  # old j = y is not folded (see module docstring)
    ("Sjahrir", "syahrir"),
    ("Chairul Tanjung", "khairul tanjung"),
    ("Achmad Rachmat", "ahmad rahmat"),  # ch before a consonant is h in modern spelling
    ("Akhmad Fakhri", "ahmad fahri"),
    ("Christina", "kristina"),
    ("Chandra Kirana", "candra kirana"),
    ("Syech Yusuf", "syekh yusuf"),
    ("Muhammad Yusuf", "muhammad yusuf"),
    ("Mohammad Yusuf", "muhammad yusuf"),
    ("Muhamad Yusuf", "muhammad yusuf"),
    ("Mochammad Yusuf", "muhammad yusuf"),
    ("Moh. Yusuf", "muhammad yusuf"),
    ("M. Yusuf", "muhammad yusuf"),
    ("M.Yusuf", "muhammad yusuf"),
    ("Ma'ruf Amin", "maruf amin"),
    ("José Ramos-Horta", "jose ramos horta"),
    ("NUR  AINI", "nur aini"),
    ("Hendra", "hendra"),
    ("Haji Ahmad", "ahmad"),
    ("H. Ahmad", "ahmad"),
]


@pytest.mark.parametrize(("raw", "key"), KEYS)
def test_key(raw: str, key: str) -> None:
    assert split_name(raw).key == key


def test_old_and_new_spellings_share_a_key() -> None:
    assert (
        split_name("Ir. H. Soewardi Djojohadikoesoemo, M.Sc.").key == split_name("SUWARDI JOJOHADIKUSUMO").key
    )


def test_missing_values() -> None:
    assert split_name(None).key == "" and split_name(float("nan")).core == ""


def _fuzz_corpus(n: int) -> list[object]:
    # Names built from title, name-part and noise pieces, to catch drift between the two paths.
    rng = random.Random(11)
    pieces = [
        "Drs.", "H.", "Hj", "dr.", "Prof.", "Ir", "K.H.", "M.", "Moh.", "Mochammad", "Soekarno", "Djoko",
        "Tjut", "Sjahrir", "Achmad", "Chairul", "Christina", "Ma'ruf", "José", "Ahmad", "Nur", "Siti",
        "S.Pd.,", "M.Si", ",", "SE", "S.Pd.I", "Ph.D.", "A.Md.Kep.", "Ns.", "  ", "-", "Ñoño", "\t", "Lc.",
        "Hendra", "Haji", "S.Tr.Keb", "Apt", "12", "(alm)",
    ]  # fmt: skip
    corpus: list[object] = [None, "", "   "]
    for _ in range(n):
        corpus.append(" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))))
    return corpus


@pytest.mark.parametrize("dtype", ["str", object])
def test_series_matches_scalar(dtype: object) -> None:
    corpus = _fuzz_corpus(3000) + [raw for raw, *_ in SPLITS] + [raw for raw, _ in KEYS]
    series = pd.Series(corpus, dtype=dtype, index=range(5, 5 + len(corpus)))
    keys = name_key_series(series)
    assert list(keys.index) == list(series.index)
    mismatches = [
        (raw, split_name(raw).key, got)
        for raw, got in zip(corpus, keys, strict=True)
        if split_name(raw).key != got
    ]
    assert mismatches == []


def test_vectorised_throughput() -> None:
    """~420k rows/s on the dev box for title-heavy names; assert a CI-safe 100k rows/s floor."""
    names = [
        "Drs. H. Syafrizal, M.Si",
        "Budi Santoso",
        "Siti Aminah",
        "Achmad Chairul",
        "Hj. Tjut Nyak Dhien, S.Pd.I",
    ]
    series = pd.Series(names * 40_000, dtype="str")
    started = time.perf_counter()
    keys = name_key_series(series)
    elapsed = time.perf_counter() - started
    assert keys.iloc[0] == "syafrizal"
    assert len(series) / elapsed > 100_000


PREFIXES: list[tuple[str, str, dict[str, object]]] = [
    # raw name, core key, features (gender 1 male / 2 female, Balinese birth order, house, initial)
    ("I Wayan Sudarsana", "sudarsana", {"gender": 1, "order": 1, "house": "jaba"}),  # I/Ni: a commoner
    ("Wayan Sudarsana", "sudarsana", {"gender": 0, "order": 1}),
    ("Ni Luh Putu Ariani", "ariani", {"gender": 2, "order": 1, "house": "jaba"}),
    ("Ni Made Sriasih", "sriasih", {"gender": 2, "order": 2, "house": "jaba"}),
    ("I Ketut Sukadana", "sukadana", {"gender": 1, "order": 4, "house": "jaba"}),
    ("Ida Bagus Putu Wirawan", "wirawan", {"gender": 1, "order": 1, "house": "ida"}),
    ("Ida Ayu Made Sari", "sari", {"gender": 2, "order": 2, "house": "ida"}),
    ("Anak Agung Gede Oka", "oka", {"gender": 1, "order": 1, "house": "agung"}),
    ("I Gusti Ngurah Rai", "rai", {"gender": 1, "house": "gusti"}),
    ("Cokorda Gede Putra", "putra", {"gender": 1, "order": 1, "house": "cokorda"}),
    ("Desak Made Suarni", "suarni", {"gender": 2, "order": 2, "house": "dewa"}),
    ("Andi Baso", "baso", {"house": "andi"}),
    ("A. Baso", "baso", {"initial": "a"}),
    ("La Ode Muhammad Ali", "muhammad ali", {"gender": 1, "house": "ode"}),
    ("Wa Ode Nurhayati", "nurhayati", {"gender": 2, "house": "ode"}),
    ("La Ndaha", "ndaha", {"gender": 1}),
    ("Teuku Rizal", "rizal", {"gender": 1, "house": "teuku"}),
    ("T. Rizal", "rizal", {"initial": "t"}),
    ("Cut Nyak Dhien", "dhien", {"gender": 2, "house": "teuku"}),
    ("Tjut Meutia", "meutia", {"gender": 2, "house": "teuku"}),  # old spelling folds to "cut"
    ("Tgk. Abdullah", "abdullah", {"house": "tengku"}),
    ("Raden Mas Suprapto", "suprapto", {"gender": 1, "house": "raden"}),
    ("RA. Kartini", "kartini", {"gender": 2, "house": "raden"}),
    ("Rr. Siti Hartati", "siti hartati", {"gender": 2, "house": "raden"}),
    ("Syarifah Aini", "aini", {"gender": 2, "house": "sayyid"}),
    ("Said Abdullah", "abdullah", {"gender": 1, "house": "sayyid"}),
    ("Baso Dg. Nai", "baso", {"house": "daeng"}),  # a Makassar daeng name after the given names
    ("Baso Amir Daeng Nai", "baso amir", {"house": "daeng"}),
    ("Ahmad Yani bin Yusuf", "ahmad yani", {"gender": 1}),  # a patronym is set aside, it says male
    ("Siti Aisyah binti Yusuf", "siti aisyah", {"gender": 2}),
    ("LD. Hamid", "hamid", {"gender": 1, "house": "ode"}),  # La Ode abbreviated
    ("Budi Santoso", "budi santoso", {}),
    ("S. Budi", "s budi", {}),  # an initial that abbreviates no known prefix stays in the name
    ("Agung Prasetyo", "agung prasetyo", {}),  # "Agung" alone is a Javanese given name
    ("I Ketut", "ketut", {"gender": 1, "house": "jaba"}),  # the last word stays: something must be compared
]


@pytest.mark.parametrize(("raw", "core", "features"), PREFIXES)
def test_split_prefixes(raw: str, core: str, features: dict[str, object]) -> None:
    got_core, prefix = split_prefixes(split_name(raw).key)
    assert got_core == core
    house = features.get("house")
    assert (prefix.gender, prefix.order, prefix.initial) == (
        features.get("gender", 0), features.get("order", 0), features.get("initial", ""))
    assert (HOUSES[prefix.house - 1] if prefix.house else None) == house


def test_prefix_arrays_match_scalar() -> None:
    keys = [split_name(raw).key for raw, *_ in PREFIXES] + ["", "ni", "i wayan", "t", "dg nai"]
    arrays = prefix_arrays(pd.Series(keys * 3))
    for i, key in enumerate(keys * 3):
        core, prefix = split_prefixes(key)
        assert arrays.core[i].as_py() == core, key
        got = (int(arrays.gender[i]), int(arrays.order[i]), int(arrays.house[i]),
               chr(arrays.initial[i]) if arrays.initial[i] else "")
        assert got == (prefix.gender, prefix.order, prefix.house, prefix.initial), key
