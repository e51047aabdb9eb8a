"""Controlled vocabularies as data: shipped spellings, mapping with evidence, site extensions."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pantau.exceptions import ConfigError
from pantau.reference import vocabularies as vocab
from pantau.reference.vocabularies import apply_vocabularies, map_value, map_values, normalize_key
from pantau.validation import domain

SHIPPED = Path(vocab.DATA_DIR) / vocab.FILE_NAME


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PANTAU_REFERENCE_DIR", raising=False)
    vocab.clear_cache()
    yield
    vocab.clear_cache()


# Issue 9: labels as independent exports write them, none of them the official label.
SHORT_LABELS = {
    "Medsos Interaksi": "MEDSOS_INTERAKSI", "Like/komen/share medsos": "MEDSOS_INTERAKSI",
    "Memberikan like": "MEDSOS_INTERAKSI", "Berfoto dengan paslon": "FOTO_POSE", "Pose jari": "FOTO_POSE",
    "Ikut kampanye": "HADIR_KAMPANYE", "Menghadiri deklarasi": "HADIR_KAMPANYE", "Anggota parpol": "ANGGOTA_PARPOL",
    "Dukungan calon perseorangan": "DUKUNGAN_PERSEORANGAN", "Penggunaan fasilitas negara": "FASILITAS_NEGARA",
    "Mengarahkan bawahan": "ARAHAN_BAWAHAN", "Pemasangan APK/spanduk": "ALAT_PERAGA",
    "Kampanye di media sosial": "MEDSOS_KAMPANYE", "MEDSOS_KAMPANYE": "MEDSOS_KAMPANYE",
    "  medsos   interaksi. ": "MEDSOS_INTERAKSI",
}


def test_short_category_labels_map_to_codes() -> None:
    out = map_values("category", pd.Series(list(SHORT_LABELS)))
    assert out["code"].tolist() == list(SHORT_LABELS.values())
    assert set(out["method"]) <= {"exact", "synonym"} and (out["confidence"] == 1.0).all()


def test_official_labels_are_exact() -> None:
    for name in ("category", "sanction"):
        labels = vocab.labels(name)
        out = map_values(name, pd.Series(list(labels.values())))
        assert out["code"].tolist() == list(labels) and set(out["method"]) == {"exact"}


@pytest.mark.parametrize(("text", "code"), [
    # The decree spellings that were dropped, so the recommendation looked unanswered (issue 9).
    ("Disiplin sedang", "DISIPLIN_SEDANG"), ("Hukdis berat", "DISIPLIN_BERAT"), ("Pernyataan tertutup", "MORAL_TERTUTUP"),
    ("HD Sedang", "DISIPLIN_SEDANG"), ("Hukuman disiplin tingkat sedang", "DISIPLIN_SEDANG"),
    ("Pemotongan tunjangan kinerja 25% selama 6 bulan", "DISIPLIN_SEDANG"),
    ("Penurunan jabatan setingkat lebih rendah selama 12 bulan", "DISIPLIN_BERAT"),
    ("Pembebasan dari jabatannya menjadi jabatan pelaksana", "DISIPLIN_BERAT"),
    ("Pemberhentian dengan hormat tidak atas permintaan sendiri", "DISIPLIN_BERAT"),
    ("PTDH", "PTDH"), ("Diberhentikan tidak dengan hormat", "PTDH"),
    ("-", "TANPA_SANKSI"), ("Tidak ada", "TANPA_SANKSI"), ("Tidak dijatuhi sanksi", "TANPA_SANKSI"),
])
def test_sanction_spellings(text: str, code: str) -> None:
    match = map_value("sanction", text)
    assert (match.code, match.method) == (code, "synonym" if match.method != "exact" else "exact")
    assert match.method in ("exact", "synonym")


@pytest.mark.parametrize(("text", "code"), [
    ("Moral berupa pernyataan secara tertutup", "MORAL_TERTUTUP"),  # a word dropped, not listed
    ("Hukuman disipin sedang", "DISIPLIN_SEDANG"),  # typo
    ("Hukuman disiplin berat berupa penurunan jabatan", "DISIPLIN_BERAT"),  # extra words
    ("Pemotongan tunjangan kinerja sebesar 25 persen selama 9 bulan", "DISIPLIN_SEDANG"),
])
def test_unlisted_close_spellings_map_fuzzy_with_their_score(text: str, code: str) -> None:
    match = map_value("sanction", text)
    assert (match.code, match.method) == (code, "fuzzy")
    assert vocab.FUZZY_ACCEPT / 100 <= match.confidence < 1.0


@pytest.mark.parametrize(("name", "text"), [
    ("sanction", "Hukuman disiplin"),  # sedang or berat? Both are one word away.
    ("sanction", "Sanksi moral"),
    ("sanction", "Pemberhentian dengan hormat"),  # not PTDH: the negation differs
    ("sanction", "Teguran lisan"),  # PP 94/2021 ringan: not a code here
    ("sanction", "Hukuman disiplin ringan"),
    ("category", "Ikut kampanye di media sosial"),  # attending or campaigning online: both fit
    ("category", "Medsos"),
    ("registry_status", "Diberhentikan sementara"),  # suspended, still in service
    ("registry_status", "Tidak aktif"),
    ("proven", "Belum terbukti"),
])
def test_ambiguous_or_opposite_values_stay_unknown(name: str, text: str) -> None:
    match = map_value(name, text)
    assert (match.code, match.method, match.confidence) == (None, "unknown", 0.0)


def test_unknown_value_comes_with_a_suggestion_for_stewards() -> None:
    match = map_value("category", "Pasang baliho")
    assert match.method == "unknown" and match.suggestion == "ALAT_PERAGA" and 0 < (match.suggestion_score or 0) < 0.9


@pytest.mark.parametrize(("text", "expected", "method"), [
    ("Ya", True, "synonym"), ("Y", True, "synonym"), ("Terbukti", True, "exact"), ("Terbukti melanggar", True, "synonym"),
    ("1", True, "exact"), ("Benar", True, "synonym"), ("TRUE", True, "exact"),
    ("Tidak", False, "synonym"), ("T", False, "synonym"), ("Tidak terbukti", False, "exact"), ("0", False, "exact"),
    ("-", None, "empty"), ("", None, "empty"), (None, None, "empty"), ("Belum terbukti", None, "unknown"),
])
def test_proven_flag(text: str | None, expected: bool | None, method: str) -> None:
    frame = apply_vocabularies(pd.DataFrame({"terbukti_raw": pd.Series([text], dtype=object)}), {"terbukti": "proven"})
    value = frame.at[0, "terbukti"]
    assert (None if pd.isna(value) else bool(value)) == expected
    assert frame.at[0, "terbukti_mapping"].startswith(f"{method}:")
    assert frame.at[0, "terbukti_raw"] == text


@pytest.mark.parametrize(("name", "text", "code"), [
    ("case_status", "Registrasi", "diregistrasi"), ("case_status", "Diteruskan ke KASN", "diteruskan"),
    ("case_status", "Diteruskan ke BKN", "diteruskan"), ("case_status", "Tidak ditindaklanjuti", "dihentikan"),
    ("case_status", "Proses", "diregistrasi"), ("case_jenis", "Temuan", "temuan"), ("case_jenis", "LP", "laporan"),
    ("jenis_asn", "P3K", "PPPK"), ("jenis_asn", "CPNS", "PNS"), ("jenis_asn", "Pegawai Negeri Sipil", "PNS"),
    ("jenis_asn", "Pegawai Pemerintah dengan Perjanjian Kerja", "PPPK"),
    ("registry_status", "Meninggal Dunia", "meninggal"), ("registry_status", "MPP", "aktif"),
    ("registry_status", "Diberhentikan", "berhenti"), ("registry_status", "AKTIF", "aktif"),
])
def test_status_and_type_spellings(name: str, text: str, code: str) -> None:
    assert map_value(name, text).code == code


def test_normalisation_ignores_case_punctuation_spacing_and_diacritics() -> None:
    assert normalize_key("  Pégawai  Negeri-Sipil. ") == "pegawai negeri sipil"
    assert normalize_key("Like/komen/share") == "like komen share"
    assert normalize_key("-") == "-"  # punctuation alone keeps its meaning


def test_each_distinct_value_is_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    original = vocab.Vocabulary.lookup

    def counting(self: vocab.Vocabulary, raw: object) -> vocab.Match:
        calls.append(raw)
        return original(self, raw)

    monkeypatch.setattr(vocab.Vocabulary, "lookup", counting)
    values = pd.Series(["Disiplin sedang", "Hukdis berat", None, "Tulisan asing"] * 15_000, dtype="string[pyarrow]")
    out = map_values("sanction", values)
    assert len(calls) == 3  # missing values never reach lookup
    assert out["method"].value_counts().to_dict() == {"synonym": 30_000, "empty": 15_000, "unknown": 15_000}


def test_raw_value_is_kept_and_unknown_row_stays() -> None:
    frame = pd.DataFrame({"jenis_sanksi": ["Hukdis berat", "Teguran lisan", None]})
    out = apply_vocabularies(frame, {"jenis_sanksi": "sanction"})
    assert len(out) == 3
    assert [None if pd.isna(v) else v for v in out["jenis_sanksi"]] == ["DISIPLIN_BERAT", None, None]
    assert out["jenis_sanksi_raw"].tolist()[:2] == ["Hukdis berat", "Teguran lisan"]
    assert out["jenis_sanksi_mapping"].tolist() == ["synonym:1.00", "unknown:0.00", "empty:0.00"]
    # Mapping again from the raw column (every merge does) gives the same answer.
    again = apply_vocabularies(out, {"jenis_sanksi": "sanction"})
    assert again["jenis_sanksi"].tolist() == out["jenis_sanksi"].tolist()


def test_dropping_a_word_never_fuzzy_maps_to_another_code() -> None:
    # A shipped spelling with one word missing is the commonest unseen variant (issue 9). It may map
    # back to its code or stay unknown; a fuzzy guess of a *different* code would be silent damage.
    with SHIPPED.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["code"] and len(r["spelling"].split()) > 1]
    wrong = []
    for row in rows:
        words = row["spelling"].split()
        for i in range(len(words)):
            match = map_value(row["vocabulary"], " ".join(words[:i] + words[i + 1:]))
            if match.method == "fuzzy" and match.code != row["code"]:
                wrong.append((row["spelling"], i, match.code))
    assert not wrong


def test_shipped_data_declares_the_domain_codes() -> None:
    assert list(vocab.codes("category")) == list(domain.VIOLATION_CATEGORIES) and len(domain.VIOLATION_CATEGORIES) == 11
    assert set(domain.SANCTIONS) == {"MORAL_TERTUTUP", "MORAL_TERBUKA", "DISIPLIN_SEDANG", "DISIPLIN_BERAT", "PTDH"}
    assert set(vocab.codes("sanction")) == set(domain.SANCTIONS) | {domain.NO_SANCTION}
    assert domain.CASE_STATUSES == ("diregistrasi", "diteruskan", "dihentikan")
    assert domain.CASE_JENIS == ("laporan", "temuan") and domain.JENIS_ASN == ("PNS", "PPPK")
    assert domain.REGISTRY_STATUSES == ("aktif", "pensiun", "berhenti", "meninggal")
    assert set(vocab.codes("proven")) == {"true", "false"}
    params = domain.domain_parameters()
    assert params["category_codes"] == sorted(domain.VIOLATION_CATEGORIES)
    assert "TANPA_SANKSI" in params["sanction_codes"]


# -- the site's own rows (PANTAU_REFERENCE_DIR) ---------------------------------------------------
def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[str]) -> None:
    (tmp_path / "vocabularies.csv").write_text("vocabulary,code,spelling,kind,note\n" + "\n".join(rows) + "\n",
                                               encoding="utf-8")
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(tmp_path))


def test_site_file_adds_a_synonym(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert map_value("category", "Ngonten paslon").method == "unknown"
    _site(tmp_path, monkeypatch, ["category,MEDSOS_KAMPANYE,Ngonten paslon,synonym,Kab. Agam slang"])
    match = map_value("category", "Ngonten paslon")
    assert (match.code, match.method) == ("MEDSOS_KAMPANYE", "synonym")
    assert map_value("category", "Medsos Interaksi").code == "MEDSOS_INTERAKSI"  # shipped rows still there


def test_site_file_can_declare_a_new_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(tmp_path, monkeypatch, ["sanction,TEGURAN_TERTULIS,Hukuman disiplin ringan berupa teguran tertulis,label,",
                                  "sanction,TEGURAN_TERTULIS,Teguran tertulis,synonym,"])
    assert map_value("sanction", "Teguran tertulis").code == "TEGURAN_TERTULIS"
    assert "TEGURAN_TERTULIS" in domain.domain_parameters()["sanction_codes"]


def test_site_row_overrides_a_shipped_meaning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(tmp_path, monkeypatch, ["registry_status,berhenti,CLTN,abbreviation,our BKD treats CLTN as out"])
    assert map_value("registry_status", "CLTN").code == "berhenti"


@pytest.mark.parametrize(("row", "message"), [
    ("category,KAMPANYE_HITAM,Kampanye hitam,synonym,", "not a category code"),
    ("kategori,MEDSOS_KAMPANYE,Ngonten,synonym,", "unknown vocabulary 'kategori'"),
    ("category,MEDSOS_KAMPANYE,Ngonten,alias,", "unknown kind 'alias'"),
    ("category,MEDSOS_KAMPANYE,Memasang APK,label,", "already has its official label"),
    ("proven,,Ya,synonym,", "a row of kind 'empty' has no code"),
])
def test_site_file_errors_name_the_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row: str,
                                       message: str) -> None:
    _site(tmp_path, monkeypatch, [row])
    with pytest.raises(ConfigError, match=message) as caught:
        vocab.load_vocabularies()
    assert "vocabularies.csv:2" in str(caught.value)


def test_one_spelling_two_meanings_in_one_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(tmp_path, monkeypatch, ["sanction,DISIPLIN_SEDANG,Hukdis,synonym,", "sanction,DISIPLIN_BERAT,HUKDIS.,synonym,"])
    with pytest.raises(ConfigError, match="one spelling, one meaning"):
        vocab.load_vocabularies()


def test_reference_dir_must_be_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="PANTAU_REFERENCE_DIR"):
        vocab.load_vocabularies()
