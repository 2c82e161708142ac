"""The operator commands of ``moderation-train``: ``retrain``, ``thresholds`` and ``models``.

Exit codes: 0 done (``retrain``: the gate passed, and the candidate is live unless ``--no-promote``);
2 bad input (arguments, data, an unknown version, an artifact that fails verification); 3 the gate refused
the candidate (it is kept in ``models/`` but not live; the reasons are printed).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

from moderation_service.model.attributes import ATTRIBUTES
from moderation_service.settings import Settings

from . import registry
from .gate import (
    DEFAULT_AUC_TOLERANCE,
    DEFAULT_F1_TOLERANCE,
    DEFAULT_MIN_PER_CLASS,
    DEFAULT_SPAM_FPR_TOLERANCE,
    REFUSED,
    GateRules,
)
from .progress import Progress
from .site_labels import DEFAULT_HOLDOUT_FRACTION, DEFAULT_LABEL_WEIGHT

Adder = Callable[[argparse.ArgumentParser], None]


def _models_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models-dir", type=Path, metavar="DIR",
                        help="the versioned artifacts and the LIVE pointer (default: MODERATION_MODELS_DIR or models)")


def _redis_url(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--redis-url", metavar="URL", help=help_text)


RETRAIN_DESCRIPTION = """\
Train a candidate on the base datasets (--data) plus every label the service collected (moderator decisions,
Akismet submit-spam/ham, Perspective suggestscore), the most recent --holdout-fraction of them held back.
Score the candidate and the live model (models/LIVE) on the base validation split and on the held-back
labels, write the report (report.json, report.txt, PNG plots) and promote the candidate only if, on every
score, its ROC-AUC is not below the live model's by more than --tolerance and its F1 at the hold threshold
not by more than --f1-tolerance, and it marks no more of the ordinary comments spam (unreviewed) than the
live model, beyond --spam-fpr-tolerance. A refused candidate stays in models/ and is not live.

exit codes: 0 the gate passed (and the candidate is live unless --no-promote, or --force promoted it),
            3 the gate refused the candidate, 2 bad input."""

NOTICE_HELP = "publish the reload notice on this Redis so every service process switches at once"


def add_retrain(commands: argparse._SubParsersAction, add_data: Adder) -> None:  # type: ignore[type-arg]
    retrain = commands.add_parser(
        "retrain", help="train a candidate on base data plus the collected labels, compare it with the live "
        "model, gate and promote", description=RETRAIN_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data(retrain)
    source = retrain.add_mutually_exclusive_group(required=True)
    source.add_argument("--redis-url", metavar="URL", help="export every collected label from this Redis (the "
                        "service's label store); promotion then also publishes the reload notice there")
    source.add_argument("--labels", action="append", metavar="FILE.jsonl",
                        help="labels exported with GET /v1/ops/labels (or any JSONL in the training schema)")
    _models_dir(retrain)
    retrain.add_argument("--label-weight", type=float, default=DEFAULT_LABEL_WEIGHT, metavar="W",
                         help="how many base examples one collected label counts as in training (default "
                         f"{DEFAULT_LABEL_WEIGHT:g}: enough for a few hundred decisions to teach a new spam campaign, "
                         "while the base data still dominates; see training/site_labels.py)")
    retrain.add_argument("--holdout-fraction", type=float, default=DEFAULT_HOLDOUT_FRACTION, metavar="F",
                         help=f"most recent share of the labels held back to compare the models (default "
                         f"{DEFAULT_HOLDOUT_FRACTION:g})")
    retrain.add_argument("--tolerance", type=float, default=DEFAULT_AUC_TOLERANCE, metavar="T",
                         help=f"ROC-AUC the candidate may lose on a score before it is refused (default "
                         f"{DEFAULT_AUC_TOLERANCE:g})")
    retrain.add_argument("--f1-tolerance", type=float, default=DEFAULT_F1_TOLERANCE, metavar="T",
                         help=f"F1 at the hold threshold it may lose (default {DEFAULT_F1_TOLERANCE:g})")
    retrain.add_argument("--spam-fpr-tolerance", type=float, default=DEFAULT_SPAM_FPR_TOLERANCE, metavar="T",
                         help="share of ordinary comments it may mark spam beyond the live model's, at the spam "
                         f"threshold, where no moderator sees them (default {DEFAULT_SPAM_FPR_TOLERANCE:g})")
    retrain.add_argument("--min-per-class", type=int, default=DEFAULT_MIN_PER_CLASS, metavar="N",
                         help="gate a score on a set only with at least N examples of each class there "
                         f"(default {DEFAULT_MIN_PER_CLASS})")
    retrain.add_argument("--report", type=Path, metavar="DIR",
                         help="where the report goes (default: the candidate's folder, report/)")
    retrain.add_argument("--force", action="store_true",
                         help="promote even if the gate refuses (recorded as \"forced\": true in the manifest)")
    retrain.add_argument("--no-promote", action="store_true", help="evaluate and keep the candidate, never promote")
    retrain.add_argument("--version", help="the candidate's version name (default: UTC timestamp)")
    retrain.add_argument("--validation-fraction", type=float, default=0.15, metavar="F",
                         help="share of the base texts held out, by a hash of each text, as the validation split "
                         "both models are compared on and the candidate's thresholds are chosen on (default 0.15)")
    retrain.add_argument("--quiet", action="store_true", help="no progress lines")


def share(*, zero: bool) -> Callable[[str], float]:
    """An argparse type: a share from 0 (only with ``zero``) to 1; a precision of 0 or above 1, or a share of
    comments outside 0..1, is no target any threshold can be chosen for."""
    bounds = "from 0 to 1" if zero else "above 0 and at most 1"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (0 <= value <= 1 if zero else 0 < value <= 1):  # NaN fails both
            raise argparse.ArgumentTypeError(f"expected a share {bounds} (0.98 for 98 %), got {text!r}")
        return value

    return parse


def add_thresholds(commands: argparse._SubParsersAction, add_data: Adder) -> None:  # type: ignore[type-arg]
    thresholds = commands.add_parser(
        "thresholds", help="pick a threshold for a target precision or hold rate; show the trade-off table")
    thresholds.add_argument("--model", type=Path, required=True, metavar="DIR", help="the artifact to tune")
    add_data(thresholds)
    target = thresholds.add_mutually_exclusive_group(required=True)
    target.add_argument("--precision", type=share(zero=False), metavar="P",
                        help="lowest threshold with precision >= P (above 0, at most 1)")
    target.add_argument("--hold-rate", type=share(zero=True), metavar="R",
                        help="lowest threshold holding at most the share R of the comments (0 to 1)")
    thresholds.add_argument("--attribute", default="spam", choices=ATTRIBUTES, help="the score to tune (default spam)")
    thresholds.add_argument("--kind", choices=("hold", "spam"), default="hold",
                            help="which threshold: hold (send to review, default) or spam (mark spam automatically)")
    thresholds.add_argument("--write", action="store_true",
                            help="store it in the manifest (without: asks when run in a terminal, else only shows)")


def add_models(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    models = commands.add_parser("models", help="list, promote, roll back and prune the versions in models/")
    actions = models.add_subparsers(dest="action", required=True)
    for name, help_text in (("list", "every version, what it was trained on, its metrics, which is live"),
                            ("promote", "make VERSION live (verified first)"),
                            ("rollback", "make the previously live version live again"),
                            ("prune", "remove old versions, never the live one or its predecessor")):
        action = actions.add_parser(name, help=help_text)
        _models_dir(action)
        if name == "promote":
            action.add_argument("version", metavar="VERSION", help="a version's folder name in the models folder, "
                                "as models list shows it")
            action.add_argument("--force", action="store_true",
                                help="promote a version the gate refused (recorded as \"forced\": true in its "
                                "manifest)")
        if name in ("promote", "rollback"):
            _redis_url(action, NOTICE_HELP)
        if name == "prune":
            action.add_argument("--keep", type=int, metavar="N",
                                help="how many of the newest versions to keep, besides live and its predecessor "
                                f"(default: {registry.KEEP_VARIABLE} or {registry.DEFAULT_KEEP})")
            action.add_argument("--dry-run", action="store_true", help="only show what would be removed")


def models_dir_of(args: argparse.Namespace) -> Path:
    return args.models_dir if args.models_dir is not None else Settings.from_env().models_dir


def _announce(version: str, listeners: int | None) -> None:
    heard = "" if listeners is None else (f"; reload notice heard by {listeners} service process(es), and kept "
                                          "in Redis for those that subscribe later (started since, or reconnected)")
    print(f"{version} is live{heard}")


def run_retrain(args: argparse.Namespace) -> int:
    from .retrain import RetrainOptions, retrain

    progress = Progress(quiet=args.quiet)
    options = RetrainOptions(
        data=args.data, models_dir=models_dir_of(args), redis_url=args.redis_url, label_files=args.labels or (),
        label_weight=args.label_weight, holdout_fraction=args.holdout_fraction,
        rules=GateRules(args.tolerance, args.f1_tolerance, args.min_per_class, args.spam_fpr_tolerance),
        report_dir=args.report,
        force=args.force, promote=not args.no_promote, version=args.version,
        validation_fraction=args.validation_fraction)
    outcome = retrain(options, progress)
    from .report import format_table

    print(format_table(outcome.report))
    print(f"candidate kept in {outcome.directory}; report in {outcome.report_files[0].parent}")
    if outcome.promoted:
        _announce(outcome.directory.name, outcome.listeners)
    elif outcome.passed:
        print("not promoted (--no-promote)")
    else:
        print(f"not promoted; to promote it anyway: moderation-train models promote {outcome.directory.name} --force")
    return 0 if outcome.passed or outcome.promoted else REFUSED


def run_thresholds(args: argparse.Namespace) -> int:
    from .threshold_tuning import choose, write_choice

    choice = choose(args.model, args.data, args.attribute, args.kind, args.precision, args.hold_rate, Progress())
    print(f"{choice.attribute} {choice.kind} threshold for {choice.target}: {choice.chosen:.4f} "
          f"(now {choice.current:.4f})")
    print(choice.table)
    write = args.write
    if not write and sys.stdin.isatty():
        write = input(f"Write {choice.chosen:.4f} into {args.model}/manifest.json? [y/N] ").strip().lower() == "y"
    if not write:
        print("not written (pass --write to store it)")
        return 0
    thresholds, gate = write_choice(args.model, choice)
    print(f"written: {json.dumps(thresholds[choice.attribute])}. Every service process serving this model (as "
          "models/LIVE or as MODERATION_MODEL) picks it up within 2 s: it watches the manifest")
    if gate is not None:
        print(registry.stale_gate_note(args.model))
    return 0


def run_models(args: argparse.Namespace) -> int:
    models_dir = models_dir_of(args)
    if not models_dir.is_dir():
        raise registry.RegistryError(
            f"no folder {models_dir}: --models-dir (default: MODERATION_MODELS_DIR, or models in the current folder) "
            "names the service's models folder; check its spelling, or run the command in the project folder")
    if args.action == "list":
        print(registry.format_entries(models_dir, registry.entries(models_dir)))
    elif args.action == "promote":
        _announce(args.version, registry.promote(models_dir, args.version, args.redis_url, force=args.force))
    elif args.action == "rollback":
        _announce(*registry.rollback(models_dir, args.redis_url))
    else:
        keep = args.keep if args.keep is not None else registry.default_keep()
        removed = registry.prune(models_dir, keep, dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        print(f"{verb} {len(removed)} version(s){': ' + ', '.join(removed) if removed else ''}; kept the "
              f"{keep} newest, the live one and its predecessor")
    return 0
