"""The one registry of quarantine reason codes.

Every record that cannot be used is quarantined with one of these codes, so a data engineer reads
the same sentence and the same advice wherever the record came from. Codes are stable strings:
they are stored in the quarantine datasets, so rename one only with a migration.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """A quarantine reason: a stable code, what is wrong, and what to do about it."""

    code: str
    sentence: str
    action: str


_ALL: tuple[Reason, ...] = (
    # --- record shape (any source) -------------------------------------------------------------
    Reason(
        "missing_field",
        "A required field is missing or empty.",
        "Ask the source to fill the field, or correct the raw record and replay the run.",
    ),
    Reason(
        "wrong_type",
        "A field has the wrong type (for example a number where text or an object was expected).",
        "Check whether the source changed its contract; fix the record or adapt the parser.",
    ),
    Reason(
        "unknown_column",
        "The record carries a field or column the contract does not know.",
        "Check whether the source added a field; extend the mapping if the field is wanted.",
    ),
    Reason(
        "invalid_json",
        "The response body or record is not valid JSON.",
        "Inspect the raw payload in the raw zone; re-extract the window once the source is fixed.",
    ),
    Reason(
        "duplicate_record",
        "The same record key appears more than once with the same updated_at but different content.",
        "Ask the source which version is right: every version is in quarantine, none of them is staged, and a "
        "version staged by an earlier run stays current until the source sends the record again with a newer "
        "updated_at.",
    ),
    # The four vocabulary reasons below flag records that are kept: the value stays in <column>_raw
    # and the code is null (pantau.reference.vocabularies).
    Reason(
        "unknown_status",
        "The status value maps to none of the documented statuses (no code, synonym or close spelling).",
        "If the value is legitimate, add it as a synonym in PANTAU_REFERENCE_DIR/vocabularies.csv "
        "(include/pantau/reference/data/README.md); the next run maps it.",
    ),
    Reason(
        "unknown_jenis",
        "The case type (jenis) maps to neither 'laporan' nor 'temuan' (or the ASN type to neither PNS nor PPPK).",
        "Confirm the value with the source and add it as a synonym in PANTAU_REFERENCE_DIR/vocabularies.csv, or "
        "correct the record.",
    ),
    Reason(
        "unknown_category",
        "The violation category maps to no category code (no code, label, synonym or close spelling).",
        "Add the spelling as a synonym in PANTAU_REFERENCE_DIR/vocabularies.csv; cases fall back to the "
        "category derived from the description meanwhile.",
    ),
    Reason(
        "unknown_agency",
        "The agency or region could not be resolved to a known agency code.",
        "Add the spelling to the agency aliases or correct the record at the source.",
    ),
    # --- dates ---------------------------------------------------------------------------------
    Reason(
        "unparseable_date",
        "A date or timestamp could not be read in any accepted format.",
        "Correct the value at the source; accepted forms are ISO, dd/mm/yyyy, '14 Maret 2024' or an Excel serial.",
    ),
    Reason(
        "impossible_date",
        "A date names a day that does not exist (for example 30 Februari) or is out of plausible range.",
        "Ask the source for the intended date and correct the record.",
    ),
    Reason(
        "future_date",
        "A date lies in the future relative to the run's data interval.",
        "Check for a typo in the year or a wrong clock at the source; correct and replay.",
    ),
    Reason(
        "future_timestamp",
        "The record's updated_at lies after the moment the run started (beyond the clock-skew tolerance).",
        "Check the source's clock or a mistyped year; the watermark stays before the record, so it is examined "
        "again on every run and staged once its time has come or the source corrects it.",
    ),
    Reason(
        "date_order",
        "Dates contradict each other (for example forwarded before registered).",
        "Check both dates with the source; one of them is probably mistyped.",
    ),
    # --- names ---------------------------------------------------------------------------------
    Reason(
        "empty_name",
        "The person's name is empty once titles and punctuation are removed.",
        "Fill in the name at the source; without a name or a valid NIP the record cannot be linked.",
    ),
    # --- NIP -----------------------------------------------------------------------------------
    Reason(
        "nip_missing",
        "The NIP is empty.",
        "The record will be matched by name and agency; ask the source for the NIP if matching fails.",
    ),
    Reason(
        "nip_excel_damaged",
        "The NIP went through a spreadsheet as a number and lost digits (1.98E+17, a trailing .0, or a 000 sequence).",
        "Do not trust the digits; the record is matched by name and agency. Ask the source to format the column as text.",
    ),
    Reason(
        "nip_bad_length",
        "The NIP does not have 18 digits after removing spaces and dots, or contains other characters.",
        "Look for a dropped or doubled digit; repair candidates are checked against the registry.",
    ),
    Reason(
        "nip_bad_birth_date",
        "Digits 1-8 of the NIP are not a real birth date between 1940 and 2010.",
        "Check the NIP for a typo against the person's registry record.",
    ),
    Reason(
        "nip_bad_appointment",
        "Digits 9-14 of the NIP are not a plausible appointment (PNS month 01-12 at least 17 years after birth, or a PPPK intake code).",
        "Check the NIP for a typo against the person's registry record.",
    ),
    Reason(
        "nip_bad_gender",
        "Digit 15 of the NIP is neither 1 (male) nor 2 (female).",
        "Check the NIP for a typo against the person's registry record.",
    ),
    Reason(
        "nip_bad_sequence",
        "Digits 16-18 of the NIP are not a sequence number 001-999.",
        "Check the NIP for a typo; a 000 sequence usually means spreadsheet damage.",
    ),
    Reason(
        "nip_not_in_registry",
        "The NIP is structurally valid but no BKD registry holds it.",
        "Check for a typo (repair candidates are tried) or a registry that has not been loaded yet.",
    ),
    # --- spreadsheets --------------------------------------------------------------------------
    Reason(
        "header_not_found",
        "No row in the first rows of the sheet looks like the expected header.",
        "Open the file, check its columns against the recommendation-export contract, and extend the header aliases.",
    ),
    Reason(
        "title_row",
        "A row above the header (a title or a note) was skipped.",
        "Nothing to do unless the row holds data; then the header detection picked the wrong row.",
    ),
    Reason(
        "total_row",
        "A trailing total row (Jumlah, Total, or only a number) was skipped.",
        "Nothing to do; check the file if the row actually holds a recommendation.",
    ),
    Reason(
        "signature_block",
        "A row of the signing block below the records (place and date, office, 'ttd', name, NIP) was skipped.",
        "Nothing to do; check the file if a one-cell row at the bottom actually holds a recommendation.",
    ),
    Reason(
        "blank_row",
        "A row with no values was skipped.",
        "Nothing to do; listed so that row counts reconcile.",
    ),
    Reason(
        "repeated_header",
        "A copy of the header row inside the data (a page break in the export) was skipped.",
        "Nothing to do; listed so that row counts reconcile.",
    ),
    Reason(
        "unreadable_file",
        "The file could not be opened as .xlsx or .csv.",
        "Download the file from the raw zone and check its format; ask the source to re-publish it.",
    ),
    # --- validation suites (expectations/, pantau.validation) -----------------------------------
    # The failing expectation's name is in the quarantine row's detail; these codes say what kind
    # of rule it was, so the advice stays the same for every dataset.
    Reason(
        "value_not_allowed",
        "A field holds a value outside the documented list (sanction type, proven flag, link method, ...).",
        "For a source's wording, add it as a synonym in PANTAU_REFERENCE_DIR/vocabularies.csv "
        "(include/pantau/reference/data/README.md); for a derived field, check the step that produced it.",
    ),
    Reason(
        "value_out_of_range",
        "A number lies outside its plausible range (a negative count, a confidence above 1, ...).",
        "Look at how the value was derived; a pipeline change is the likely cause, not the source.",
    ),
    Reason(
        "duplicate_key",
        "Two or more records share a key that must be unique in the dataset.",
        "Find which source or step produced the copies; staging keeps the newest version, so copies here are a bug.",
    ),
    Reason(
        "unknown_reference",
        "The record refers to a recommendation (or case) that no loaded dataset holds.",
        "Check the reference number for a typo, or load the source that holds it; the record is kept and flagged.",
    ),
    Reason(
        "nip_format",
        "A NIP marked as valid is not exactly 18 digits, or a record marked as having a valid NIP has none.",
        "The NIP normalisation and its flag disagree: fix the normalisation step, then replay the run.",
    ),
    Reason(
        "batch_rejected",
        "The record passed its own checks, but its whole batch failed a dataset-level check (schema or type "
        "drift, a volume anomaly, too many failing rows), so none of the batch was used.",
        "Fix the batch-level problem named in the detail and re-run; the record needs no change of its own.",
    ),
    Reason(
        "inconsistent_record",
        "Fields of one record contradict each other (for example an overdue entry that already has a decree).",
        "Check the step that built the record; the inputs changed in a way it does not handle.",
    ),
    # --- matching ------------------------------------------------------------------------------
    Reason(
        "no_match",
        "No case, recommendation or person could be linked to this record.",
        "Review the record in the review queue; add a manual link if you know the match.",
    ),
    Reason(
        "ambiguous_match",
        "More than one candidate matched with similar confidence.",
        "Choose the right candidate in the review queue; the decision is kept for later runs.",
    ),
)

# --- hostile input (issue 12; docs/DECISIONS.md "Hostile input") ---------------------------------
_ALL += (
    Reason(
        "unsafe_file_name",
        "The feed's index names a file that is not one plain file name in the export folder (a path such as "
        "'../', a scheme, a query or control characters), so it was not fetched.",
        "Ask the feed to publish the file under a plain file name; the next run fetches it.",
    ),
)

REASONS: dict[str, Reason] = {r.code: r for r in _ALL}
if len(REASONS) != len(_ALL):  # pragma: no cover - guards against a copy-paste duplicate code
    raise RuntimeError("duplicate reason code in pantau.reasons")


def reason(code: str) -> Reason:
    """Return the registered :class:`Reason` for ``code``.

    Raises:
        KeyError: ``code`` is not registered; the message lists the known codes.
    """
    try:
        return REASONS[code]
    except KeyError:
        known = ", ".join(sorted(REASONS))
        raise KeyError(f"unknown quarantine reason code {code!r}; known codes: {known}") from None
