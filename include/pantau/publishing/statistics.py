"""Compliance statistics with disclosure control, and the blocking candidates BKN decides on.

:func:`compliance_statistics` aggregates the consolidated dataset (one row per person per case) into
cells: the nation, each election, and each province, kab/kota and agency, every one of them for all
elections together (``election == "SEMUA"``) and for each election. With ``k`` set, it is the public
table: a cell describing fewer than ``k`` persons is suppressed, and further cells are hidden so that
no suppressed cell equals a published total minus its published parts (docs/DOMAIN.md §5).

:func:`blocking_candidates` (the proven recommendations past the escalation step, docs/DOMAIN.md §2.3)
moved to :mod:`pantau.followup.blocking`; it is re-exported here for existing callers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import pandas as pd

from pantau.followup.blocking import BLOCKING_COLUMNS, blocking_candidates
from pantau.normalize.dates import working_days_between
from pantau.normalize.frames import as_dates, present
from pantau.normalize.names import name_key_series
from pantau.reference.regions import RegionTable, load_regions, parse_region_code

__all__ = ["ALL_ELECTIONS", "BLOCKING_COLUMNS", "COLUMNS", "KEY", "UNKNOWN_ELECTION", "blocking_candidates",
           "compliance_statistics", "person_keys"]

#: The ``election`` of a cell counting every election together.
ALL_ELECTIONS = "SEMUA"
#: The ``election`` of rows without a ``pemilihan`` (a recommendation or decree linked to no case).
UNKNOWN_ELECTION = "TIDAK DIKETAHUI"
LEVELS = ("national", "election", "province", "kabkota", "agency")
COUNTS = ("persons", "reported", "forwarded", "recommended", "proven", "followed_up")
COLUMNS = ["level", "election", "province_code", "province_name", "kabkota_code", "kabkota_name", "agency_code",
           "agency_name", *COUNTS, "follow_up_rate", "median_working_days_to_follow_up", "suppressed",
           "suppression_note"]
#: The columns identifying a cell (change detection between releases).
KEY = ["level", "election", "province_code", "kabkota_code", "agency_code"]
# Parts of a total that no code names are cells of their own, so every total is the sum of its published
# parts (a hidden remainder could otherwise be derived as total minus parts).
UNKNOWN_REGION = "Wilayah tidak diketahui"
PROVINCE_LEVEL = "Tingkat provinsi (tanpa kabupaten/kota)"
UNKNOWN_AGENCY = "Instansi tidak diketahui"
PRIMARY_NOTE = "kurang dari {k} orang / fewer than {k} persons"
SECONDARY_NOTE = ("disembunyikan agar sel lain tidak dapat dihitung dari total / hidden so that another cell "
                  "cannot be derived from the totals")
_NULL = "\x00"  # stands for a missing code inside the node keys below



# ---------------------------------------------------------------------------------------------- facts


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].astype(object).map(lambda v: v is True or v is np.True_).to_numpy(dtype=bool)


def person_keys(consolidated: pd.DataFrame) -> pd.Series:
    """Who each row describes: ``nip:<registry NIP>`` when matched, else ``name:<name key>``, else the row.

    A row without a registry person is keyed by its written name without titles (the recommendation's,
    else the case's), so two rows of one unmatched person count once; namesakes then count once too,
    which errs towards fewer persons per cell and so towards more suppression, never less. A decree
    linked to no recommendation carries the decree's NIP. Only a row with neither NIP nor name counts as
    a person of its own (keyed by its register, recommendation and follow-up numbers).
    """
    nip = present(consolidated, "nip")
    nip = nip.where(nip.notna(), present(consolidated, "follow_up_nip"))
    written = present(consolidated, "rec_nama")
    written = written.where(written.notna(), present(consolidated, "case_nama"))
    names = name_key_series(written.astype("str"))
    row = ("row:" + present(consolidated, "nomor_register").fillna("").astype(str) + "|"
           + present(consolidated, "nomor_rekomendasi").fillna("").astype(str) + "|"
           + present(consolidated, "follow_up_key").fillna("").astype(str))
    by_name = ("name:" + names.astype(object)).where(names.ne("").to_numpy(), row)
    return ("nip:" + nip.astype(str)).where(nip.notna(), by_name).astype(object)


def _region_parts(code: object, regions: RegionTable) -> tuple[str | None, str | None]:
    """(province code, kab/kota code) of a region code of any depth; codes stay dotted text."""
    if code is None:
        return None, None
    region = regions.containing(code)
    if region is not None:
        return region.province_code, None if region.is_province else region.code
    readings = parse_region_code(code)
    if not readings:
        return None, None
    # A code the table does not know keeps its digits: it is counted under them, without a name.
    reading = readings[0]
    return reading[:2], reading[:5] if len(reading) >= 5 else None


def _working_days(start: pd.Series, end: pd.Series, mask: np.ndarray) -> np.ndarray:
    """Working days from ``start`` to ``end`` where ``mask`` holds (each distinct pair computed once)."""
    out = np.full(len(start), np.nan)
    pairs = pd.DataFrame({"a": start.to_numpy(dtype=object), "b": end.to_numpy(dtype=object)})[mask]
    pairs = pairs[pairs["a"].notna() & pairs["b"].notna()]
    if pairs.empty:
        return out
    cache = {(a, b): working_days_between(a, b) for a, b in set(zip(pairs["a"], pairs["b"], strict=True))}
    out[pairs.index.to_numpy()] = [cache[(a, b)] for a, b in zip(pairs["a"], pairs["b"], strict=True)]
    return out


def _facts(consolidated: pd.DataFrame, regions: RegionTable) -> pd.DataFrame:
    """One row per consolidated row: the cell coordinates and what the row counts towards."""
    c = consolidated.reset_index(drop=True)
    recommended = present(c, "nomor_rekomendasi").notna().to_numpy()
    proven = _flag(c, "terbukti")
    decree = (present(c, "follow_up_id").notna() | present(c, "follow_up_key").notna()).to_numpy()
    # Followed up = a decree answering a proven recommendation, so the rate followed_up / proven is at
    # most 1 and readers can recompute it from the published columns.
    followed = recommended & proven & decree
    code = present(c, "case_kode_wilayah")
    code = code.where(code.notna(), present(c, "registry_kode_wilayah"))
    parts = {v: _region_parts(v, regions) for v in code.dropna().unique()}
    election = present(c, "pemilihan").map(lambda v: v if v is None else str(v).strip())
    return pd.DataFrame({
        "person": person_keys(c).to_numpy(),
        "election": election.fillna(UNKNOWN_ELECTION).to_numpy(dtype=object),
        "province_code": code.map(lambda v: parts[v][0] if v is not None else None).to_numpy(dtype=object),
        "kabkota_code": code.map(lambda v: parts[v][1] if v is not None else None).to_numpy(dtype=object),
        "agency_code": present(c, "registry_kode_instansi").to_numpy(dtype=object),
        "agency_text": present(c, "registry_nama_instansi").to_numpy(dtype=object),
        "reported": present(c, "nomor_register").notna().to_numpy(),
        "forwarded": present(c, "case_status").eq("diteruskan").to_numpy(dtype=bool),
        "recommended": recommended,
        "proven": proven & recommended,
        "followed_up": followed,
        "working_days": _working_days(as_dates(present(c, "tanggal_rekomendasi")), as_dates(present(c, "tanggal_sk")),
                                      followed),
        "nation": "",
    })


# ---------------------------------------------------------------------------------------------- cells

_SPECS = (  # level, grouping columns, crossed with election
    ("national", ["nation"], False), ("election", ["nation"], True),
    ("province", ["province_code"], False), ("province", ["province_code"], True),
    ("kabkota", ["province_code", "kabkota_code"], False), ("kabkota", ["province_code", "kabkota_code"], True),
    ("agency", ["agency_code"], False), ("agency", ["agency_code"], True),
)


def _aggregate(facts: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for level, keys, by_election in _SPECS:
        rows = facts[facts["province_code"].notna()] if level == "kabkota" else facts
        by = [*keys, "election"] if by_election else keys
        cells = rows.groupby(by, dropna=False, sort=False).agg(
            persons=("person", "nunique"), reported=("reported", "sum"), forwarded=("forwarded", "sum"),
            recommended=("recommended", "sum"), proven=("proven", "sum"), followed_up=("followed_up", "sum"),
            median_working_days_to_follow_up=("working_days", "median")).reset_index()
        if not by_election:
            cells["election"] = ALL_ELECTIONS
        parts.append(cells.assign(level=level).drop(columns="nation", errors="ignore"))
    cells = pd.concat(parts, ignore_index=True)
    for column in ("province_code", "kabkota_code", "agency_code"):
        if column not in cells:
            cells[column] = None
        cells[column] = cells[column].astype(object).where(cells[column].notna(), None)
    order = {level: i for i, level in enumerate(LEVELS)}
    elections = cells["election"].map(lambda e: (e != ALL_ELECTIONS, e == UNKNOWN_ELECTION, e))
    cells = cells.assign(_level=cells["level"].map(order), _election=elections)
    for column in ("province_code", "kabkota_code", "agency_code"):  # a missing code sorts after the codes
        cells["_" + column] = cells[column].map(lambda v: (v is None, v or ""))
    cells = cells.sort_values(["_level", "_election", "_province_code", "_kabkota_code", "_agency_code"],
                              kind="mergesort")
    return cells.drop(columns=[c for c in cells if c.startswith("_")]).reset_index(drop=True)


def _nodes(cells: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per cell: its node (the place, whatever the election), its parent node and the partition it is in."""
    p = cells["province_code"].fillna(_NULL)
    kab = cells["kabkota_code"].fillna(_NULL)
    a = cells["agency_code"].fillna(_NULL)
    level = cells["level"]
    node = pd.Series("N", index=cells.index, dtype=object)
    node[level.eq("province")] = "P" + p
    node[level.eq("kabkota")] = "K" + p + "|" + kab
    node[level.eq("agency")] = "A" + a
    parent = pd.Series(None, index=cells.index, dtype=object)
    parent[level.isin(["province", "agency"])] = "N"
    parent[level.eq("kabkota")] = "P" + p
    family = level.map({"province": "geo", "kabkota": "geo", "agency": "agency"})
    return node, parent, family


def equations(cells: pd.DataFrame) -> list[np.ndarray]:
    """Every additive relation between cells, as cell positions with the total first.

    Within one election column: the nation = its provinces, a province = its kab/kota, the nation = its
    agencies. Within one place: all elections (``SEMUA``) = each election. Missing codes are parts of
    their own (see the names above), so each total is exactly the sum of its parts.
    """
    cells = cells.reset_index(drop=True)
    node, parent, family = _nodes(cells)
    where = {(n, e): i for i, (n, e) in enumerate(zip(node, cells["election"], strict=True))}
    out: list[np.ndarray] = []
    has_parent = parent.notna()
    grouped = pd.DataFrame({"parent": parent, "election": cells["election"], "family": family})[has_parent]
    for (up, election, _), members in grouped.groupby(["parent", "election", "family"], sort=True).groups.items():
        out.append(np.array([where[(up, election)], *members], dtype=np.int64))
    split = cells["election"].ne(ALL_ELECTIONS)
    for place, members in pd.DataFrame({"node": node})[split].groupby("node", sort=True).groups.items():
        out.append(np.array([where[(place, ALL_ELECTIONS)], *members], dtype=np.int64))
    return out


def _subtables(cells: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The table as two-way tables (places x elections, with their totals), as (cells, rows, columns).

    Agencies with the nation as their total row; provinces with the nation; each province's kab/kota
    with the province. A province's cells are a part in the first kind and the total row in the second.
    """
    p = cells["province_code"].fillna(_NULL).to_numpy(dtype=object)
    kab = cells["kabkota_code"].fillna(_NULL).to_numpy(dtype=object)
    a = cells["agency_code"].fillna(_NULL).to_numpy(dtype=object)
    level = cells["level"].to_numpy(dtype=object)
    election = cells["election"].to_numpy(dtype=object)
    entries: list[tuple[str, str, str, int]] = []
    for i in range(len(cells)):
        if level[i] in ("national", "election"):
            entries += [("A", "", election[i], i), ("G", "", election[i], i)]
        elif level[i] == "province":
            entries += [("G", "P" + p[i], election[i], i), ("P" + p[i], "", election[i], i)]
        elif level[i] == "kabkota":
            entries.append(("P" + p[i], "K" + kab[i], election[i], i))
        else:
            entries.append(("A", "A" + a[i], election[i], i))
    frame = pd.DataFrame(entries, columns=["table", "row", "column", "cell"])
    out = []
    for _, part in frame.groupby("table", sort=True):
        if part["row"].ne("").any():  # a province without kab/kota rows has nothing to protect below it
            out.append((part["cell"].to_numpy(dtype=np.int64), pd.factorize(part["row"])[0],
                        pd.factorize(part["column"])[0]))
    return out


def _bridges(n_vertices: int, ends: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray, np.ndarray]:
    """Bridges of an undirected graph (edges ``ends[i] = (u, v)``) as (edge, child vertex), with DFS times.

    A hidden cell whose edge is a bridge is fixed by the published cells: removing it splits its
    component, and the sums over one side give it. ``tin``/``tout`` tell the DFS subtree (one side).
    """
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n_vertices)]
    for e, (u, v) in enumerate(ends):
        adjacency[u].append((v, e))
        adjacency[v].append((u, e))
    tin = np.full(n_vertices, -1)
    tout = np.full(n_vertices, -1)
    low = np.zeros(n_vertices, dtype=np.int64)
    component = np.full(n_vertices, -1)
    clock, bridges = 0, []
    for root in range(n_vertices):
        if tin[root] >= 0:
            continue
        tin[root] = low[root] = clock
        component[root] = root
        clock += 1
        stack = [(root, -1, 0)]
        while stack:
            vertex, via, position = stack[-1]
            if position < len(adjacency[vertex]):
                stack[-1] = (vertex, via, position + 1)
                neighbour, edge = adjacency[vertex][position]
                if edge == via:
                    continue
                if tin[neighbour] < 0:
                    tin[neighbour] = low[neighbour] = clock
                    component[neighbour] = root
                    clock += 1
                    stack.append((neighbour, edge, 0))
                else:
                    low[vertex] = min(low[vertex], tin[neighbour])
                continue
            stack.pop()
            tout[vertex] = clock
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[vertex])
                if low[vertex] > tin[parent]:
                    bridges.append((via, vertex))
    return bridges, tin, tout, component


def _close_bridges(table: tuple[np.ndarray, np.ndarray, np.ndarray], hidden: np.ndarray,
                   rank: np.ndarray) -> list[int]:
    """Cells to hide so that fewer hidden cells of one two-way table are bridges (empty: none is)."""
    cells, rows, columns = table
    n_rows = int(rows.max()) + 1
    vertex_a, vertex_b = rows, n_rows + columns
    is_hidden = hidden[cells]
    ends = np.stack([vertex_a[is_hidden], vertex_b[is_hidden]], axis=1)
    bridges, tin, tout, component = _bridges(n_rows + int(columns.max()) + 1, ends)
    if not bridges:
        return []
    open_a, open_b, open_cells = vertex_a[~is_hidden], vertex_b[~is_hidden], cells[~is_hidden]
    order = np.argsort(rank[open_cells], kind="stable")
    open_a, open_b, open_cells = open_a[order], open_b[order], open_cells[order]
    picked: list[int] = []
    chosen_a: list[int] = []
    chosen_b: list[int] = []

    def inside(vertex: np.ndarray, child: int) -> np.ndarray:
        return (tin[vertex] >= tin[child]) & (tin[vertex] < tout[child])

    for edge, child in bridges:
        u, v = ends[edge]
        root = component[child]
        if chosen_a and np.any(_crosses(np.array(chosen_a), np.array(chosen_b), child, root, component, inside)):
            continue  # a cell hidden for an earlier bridge already closes a cycle through this one
        crossing = _crosses(open_a, open_b, child, root, component, inside)
        if crossing.any():
            first = int(np.argmax(crossing))
        else:  # nothing spans the cut yet: extend the hidden path from one of the bridge's ends
            touching = (open_a == u) | (open_a == v) | (open_b == u) | (open_b == v)
            if not touching.any():
                continue
            first = int(np.argmax(touching))
        picked.append(int(open_cells[first]))
        chosen_a.append(int(open_a[first]))
        chosen_b.append(int(open_b[first]))
    return picked


def _crosses(a: np.ndarray, b: np.ndarray, child: int, root: int, component: np.ndarray,
             inside: Callable[[np.ndarray, int], np.ndarray]) -> np.ndarray:
    """Edges (a, b) with one end in the subtree of ``child`` and the other elsewhere in its component."""
    in_a, in_b = inside(a, child), inside(b, child)
    same_a, same_b = component[a] == root, component[b] == root
    return (in_a & same_b & ~in_b) | (in_b & same_a & ~in_a)


def _spread(relations: list[np.ndarray], hidden: np.ndarray, persons: np.ndarray, reported: np.ndarray) -> None:
    """Hide cells until no relation has exactly one hidden member (in place)."""
    member_of: list[list[int]] = [[] for _ in range(len(hidden))]
    for e, members in enumerate(relations):
        for m in members:
            member_of[m].append(e)
    count = np.array([int(hidden[m].sum()) for m in relations], dtype=np.int64)
    queue = deque(e for e in range(len(relations)) if count[e] == 1)
    while queue:
        e = queue.popleft()
        if count[e] != 1:
            continue
        members = relations[e]
        visible = [int(m) for m in members[1:] if not hidden[m]]
        pick = min(visible, key=lambda m: (persons[m], reported[m], m)) if visible else int(members[0])
        hidden[pick] = True
        for other in member_of[pick]:
            count[other] += 1
            if count[other] == 1:
                queue.append(other)


def _suppress(cells: pd.DataFrame, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(primary, secondary) suppression flags.

    Primary: fewer than ``k`` persons. Secondary: first, a relation with exactly one hidden member would
    give it away (total minus the published parts), so another member is hidden, the part describing
    the fewest persons (then the fewest reported, then the first), or the total when no part is left.
    Then each two-way table (places x elections with their totals) is checked as a whole: a hidden cell
    is still fixed by the published ones when it is a bridge of the graph whose vertices are the table's
    rows and columns and whose edges are its hidden cells (it lies on no cycle of hidden cells), and a
    further cell is hidden to put it on one, again the smallest that does. Repeated until nothing changes.
    """
    persons = cells["persons"].to_numpy(dtype=np.int64)
    reported = cells["reported"].to_numpy(dtype=np.int64)
    primary = persons < k
    hidden = primary.copy()
    relations = equations(cells)
    tables = _subtables(cells)
    rank = np.empty(len(cells), dtype=np.int64)
    rank[np.lexsort((np.arange(len(cells)), reported, persons))] = np.arange(len(cells))
    while True:
        _spread(relations, hidden, persons, reported)
        more = [c for table in tables for c in _close_bridges(table, hidden, rank)]
        if not more:
            break
        hidden[more] = True
    return primary, hidden & ~primary


def _names(cells: pd.DataFrame, facts: pd.DataFrame, regions: RegionTable) -> pd.DataFrame:
    def region_name(code: object) -> object:
        region = regions.get(code) if code is not None else None
        return region.official_name if region is not None else None

    province = cells["province_code"].map(lambda c: UNKNOWN_REGION if c is None else region_name(c))
    kabkota = cells["kabkota_code"].map(lambda c: PROVINCE_LEVEL if c is None else region_name(c))
    named = facts[facts["agency_code"].notna() & facts["agency_text"].notna()]
    # The name most rows give the code (ties: the first alphabetically): registries spell agencies variously.
    counts = named.groupby(["agency_code", "agency_text"]).size().reset_index(name="n")
    counts = counts.sort_values(["agency_code", "n", "agency_text"], ascending=[True, False, True])
    agency_names = counts.drop_duplicates("agency_code").set_index("agency_code")["agency_text"].to_dict()
    agency = cells["agency_code"].map(lambda c: UNKNOWN_AGENCY if c is None else agency_names.get(c))
    level = cells["level"]
    return cells.assign(
        province_name=province.where(level.isin(["province", "kabkota"]), None),
        kabkota_name=kabkota.where(level.eq("kabkota"), None),
        agency_name=agency.where(level.eq("agency"), None),
    )


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[COLUMNS].copy()
    for column in ("level", "election", "province_code", "province_name", "kabkota_code", "kabkota_name",
                   "agency_code", "agency_name", "suppression_note"):
        frame[column] = frame[column].astype("str")
    for column in COUNTS:
        frame[column] = frame[column].astype("Int64")
    for column in ("follow_up_rate", "median_working_days_to_follow_up"):
        frame[column] = frame[column].astype("Float64")
    frame["suppressed"] = frame["suppressed"].astype(bool)
    return frame.reset_index(drop=True)


def compliance_statistics(consolidated: pd.DataFrame, *, k: int | None = 3,
                          regions: RegionTable | None = None) -> pd.DataFrame:
    """Reported, forwarded, recommended, proven and followed-up counts per cell (columns: :data:`COLUMNS`).

    ``k=None`` gives the unsuppressed table (restricted use); ``k >= 1`` the public table, in which no
    published cell describes fewer than ``k`` persons and no hidden cell is a published total minus its
    published parts. ``follow_up_rate`` = followed_up / proven; ``median_working_days_to_follow_up`` counts
    working days after the recommendation date up to and including the decree date.
    """
    if k is not None and k < 1:
        raise ValueError(f"k must be at least 1 (the fewest persons a public cell may describe), got {k}")
    if consolidated.empty:
        return _empty()
    regions = regions if regions is not None else load_regions()
    facts = _facts(consolidated, regions)
    cells = _names(_aggregate(facts), facts, regions)
    proven = cells["proven"].astype("float64")
    cells["follow_up_rate"] = (cells["followed_up"] / proven.where(proven > 0)).round(4)
    cells["suppressed"] = False
    cells["suppression_note"] = None
    if k is not None:
        primary, secondary = _suppress(cells, k)
        hidden = primary | secondary
        blank = [*COUNTS, "follow_up_rate", "median_working_days_to_follow_up"]
        cells[blank] = cells[blank].astype(object)
        cells.loc[hidden, blank] = None
        cells["suppressed"] = hidden
        cells.loc[primary, "suppression_note"] = PRIMARY_NOTE.format(k=k)
        cells.loc[secondary, "suppression_note"] = SECONDARY_NOTE
    return _typed(cells)
