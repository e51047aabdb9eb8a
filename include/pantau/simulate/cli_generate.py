"""``pantau simulate generate``: write a deterministic simulated world (docs/SIMULATOR.md)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pantau.simulate import noise as nz
from pantau.simulate.generate import DEFAULT_BKD_URL, DEFAULT_SEED, DIALECTS, GenerateOptions, generate_world


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"rate must be within [0, 1], got {text}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="directory to write the world into (created if missing)")
    p.add_argument("--dialect", choices=DIALECTS, default="a",
                   help="a: the first world (default); b: a second world written independently, with its own regions, "
                        "naming cultures, agency structure and spellings (docs/SIMULATOR.md, 'Dialect b'); its data "
                        "phenomena are its own, so of the noise switches only the HTTP faults (rate_*) apply")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed; same seed and options give the same bytes (default %(default)s)")
    p.add_argument("--registry-size", type=int, default=20_000, help="number of ASN persons in the BKD registries, 1k..6M (default %(default)s)")
    p.add_argument("--cases", type=int, default=500, help="number of Bawaslu cases, 10..100k (default %(default)s)")
    p.add_argument("--bkds", type=int, default=4, help="number of BKD databases; provinces are split between them (default %(default)s)")
    p.add_argument("--transfer-rate", type=_rate, default=0.01,
                   help="share of persons transferred between BKDs: they appear in both, the old row older (default %(default)s)")
    p.add_argument("--bkd-url-template", default=DEFAULT_BKD_URL,
                   help="SQLAlchemy URL per BKD with {code}; relative sqlite paths are relative to --out (default %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.add_argument("--no-noise", action="store_true", help="turn every noise switch off (explicit --noise-* options still apply)")
    g = p.add_argument_group("noise switches", "rates in [0, 1]; per record unless the description says per file")
    for s in nz.NOISE_SWITCHES:
        g.add_argument(f"--noise-{s.name.replace('_', '-')}", dest=f"noise_{s.name}", type=_rate, default=None,
                       metavar="RATE", help=f"[{s.source}] {s.description} (default {s.default})")


def options_from_args(args: argparse.Namespace) -> GenerateOptions:
    rates = {name: 0.0 for name in nz.NOISE_BY_NAME} if args.no_noise else nz.default_rates()
    for name in nz.NOISE_BY_NAME:
        value = getattr(args, f"noise_{name}", None)
        if value is not None:
            rates[name] = value
    dialect = getattr(args, "dialect", "a")
    if dialect == "b":
        data_switches = [name for name in nz.NOISE_BY_NAME
                         if name not in nz.HTTP_FAULTS and getattr(args, f"noise_{name}", None) is not None]
        if data_switches:
            raise ValueError(f"--dialect b has its own data phenomena; only the HTTP fault switches apply, not: "
                             f"{', '.join('--noise-' + n.replace('_', '-') for n in data_switches)}")
    _check_url_template(args.bkd_url_template)
    return GenerateOptions(seed=args.seed, registry_size=args.registry_size, cases=args.cases, bkds=args.bkds,
                           transfer_rate=args.transfer_rate, bkd_url_template=args.bkd_url_template,
                           noise=nz.NoiseConfig(rates), dialect=dialect)


def _check_url_template(template: str) -> None:
    """A template the generator cannot use fails here, before any file is written, with one sentence."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if "{code}" not in template:
        raise ValueError(f"--bkd-url-template {template!r} has no {{code}} placeholder; every BKD needs its own "
                         f"database (default {DEFAULT_BKD_URL})")
    try:
        make_url(template.format(code="bkd"))
    except (ArgumentError, ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"--bkd-url-template {template!r} is not a SQLAlchemy URL once {{code}} is filled in "
                         f"({exc}); for example {DEFAULT_BKD_URL}") from None


def run(args: argparse.Namespace) -> int:
    try:
        options = options_from_args(args)
        options.validate()
    except ValueError as exc:
        print(f"pantau simulate generate: error: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    manifest = generate_world(args.out, options, progress=not args.no_progress)
    summary = {"out": str(args.out), "dialect": manifest.get("dialect", "a"),
               "seconds": round(time.monotonic() - started, 1),
               "persons": manifest["registry"]["persons"], "lifecycle": manifest["lifecycle"]}
    print(json.dumps(summary, indent=2))
    return 0


DESCRIPTION = """Generate a deterministic simulated world for the Pantau source simulators: Bawaslu case
records (JSONL per phase), KASN/BKN recommendation exports (xlsx/csv per month and phase), one
SQL database per BKD (pegawai, tindak_lanjut) and the ground truth (truth/*.parquet).
See docs/SIMULATOR.md for the layout."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``generate`` sub-command to a ``simulate`` sub-parser group."""
    p = subparsers.add_parser("generate", help="write a simulated world", description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    p.set_defaults(func=run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pantau-simulate")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
