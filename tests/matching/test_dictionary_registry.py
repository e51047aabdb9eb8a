"""Linking reads the registry's few-valued columns dictionary-encoded (issue 14: 0.9 GB of text at 6M
persons); the consolidated cases must be exactly those linked from plain text."""

from __future__ import annotations

import pandas as pd

from pantau.matching.world import StagedWorld
from pantau.normalize.frames import plain, plain_frame
from pantau.pipeline import reconcile


def test_linking_a_dictionary_encoded_registry_gives_the_same_cases(staged: StagedWorld,
                                                                     consolidated: pd.DataFrame) -> None:
    registry = staged.registry[[c for c in reconcile.REGISTRY_COLUMNS if c in staged.registry]]
    encoded = registry.astype({c: "category" for c in reconcile.REGISTRY_DICTIONARY if c in registry})
    assert sum(isinstance(t, pd.CategoricalDtype) for t in encoded.dtypes) >= 6
    linked = reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, encoded,
                                  transfers=staged.transfers)
    # The registry columns the cases carry are plain text again, as from an unencoded registry.
    assert not any(isinstance(t, pd.CategoricalDtype) for t in linked.dtypes)
    pd.testing.assert_frame_equal(linked, consolidated)


def test_plain_gives_back_the_values_and_their_type() -> None:
    text = pd.Series(["Kab. Gianyar", None, "Kota Medan", "Kab. Gianyar"], dtype="str")
    assert plain(text.astype("category")).equals(text)
    assert plain(text) is text
    frame = pd.DataFrame({"a": text.astype("category"), "b": [1, 2, 3, 4]})
    pd.testing.assert_frame_equal(plain_frame(frame), pd.DataFrame({"a": text, "b": [1, 2, 3, 4]}))
