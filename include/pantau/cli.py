"""The ``pantau`` command: the operations people run by hand."""

from __future__ import annotations

import argparse
import sys


def _demo(args: argparse.Namespace) -> int:
    from pantau.demo import demo

    return demo(args.seed, args.registry_size, args.cases)


def _simulate_epilog() -> str:
    from pantau.simulate.generate import DEFAULT_SEED, GenerateOptions
    from pantau.simulate.noise import NOISE_SWITCHES

    defaults = GenerateOptions()
    lines = [
        "sizes and seed (pantau simulate generate):",
        f"  --seed N             world seed (default {DEFAULT_SEED}); same seed and options give the same bytes",
        f"  --registry-size N    registry persons, 1k to 6M (national scale 5.58M; default {defaults.registry_size:,})",
        f"  --cases N            Bawaslu cases, 10 to 100k (default {defaults.cases:,})",
        f"  --bkds N             BKD databases (default {defaults.bkds})",
        f"  --transfer-rate R    share of persons transferred between BKDs (default {defaults.transfer_rate})",
        "",
        "noise switches (generate: --noise-<name> RATE, --no-noise turns all off; serve: --rate-* for http):",
    ]
    for switch in NOISE_SWITCHES:
        flag = switch.name.replace("_", "-")
        lines.append(f"  {flag:24} {switch.default:<6g} [{switch.source}] {switch.description}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    from pantau.simulate import cli_generate, cli_serve

    parser = argparse.ArgumentParser(prog="pantau", description="Pantau: ASN neutrality case pipelines.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    simulate = commands.add_parser(
        "simulate", help="generate and serve simulated agency sources (docs/SIMULATOR.md)",
        description="Simulators of the Bawaslu case API, the KASN/BKN recommendation exports, the BKD "
                    "databases and the alert-contacts directory, with seeded noise and ground truth.",
        epilog=_simulate_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    sim_commands = simulate.add_subparsers(dest="sim_command", required=True, metavar="COMMAND")
    cli_generate.register(sim_commands)
    cli_serve.register(sim_commands)

    demo = commands.add_parser("demo", help="run the whole job end to end on embedded services",
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    demo.add_argument("--seed", type=int, default=20241127, help="world seed")
    demo.add_argument("--registry-size", type=int, default=20_000, help="registry persons")
    demo.add_argument("--cases", type=int, default=500, help="Bawaslu cases")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI's last line of defence: a clear message, not a stack trace
        from pantau.exceptions import PantauError

        if isinstance(exc, PantauError):
            print(f"pantau: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
