"""``moderation-train``: build model artifacts and measure them.

    moderation-train train --data PATH [--data PATH ...] --out DIR
    moderation-train targets --data PATH [--data PATH ...]
    moderation-train retrain --data PATH (--redis-url URL | --labels FILE.jsonl) [--models-dir DIR] [--force]
    moderation-train thresholds --model DIR --data PATH (--precision P | --hold-rate R) [--write]
    moderation-train models list|promote VERSION|rollback|prune [--keep N] [--models-dir DIR]

Exit codes: 0 done, 2 bad input, 3 ``retrain``'s gate refused the candidate (see :mod:`training.operations`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from moderation_service.exceptions import ConfigurationError
from moderation_service.live_model import HISTORY, LIVE_POINTER
from moderation_service.model.artifact import MANIFEST_FILE, ModelArtifactError

from . import operations
from .datasets import DatasetError, JsonlError
from .progress import Progress
from .registry import RegistryError
from .train import folder_problem

VALIDATION_HELP = ("share of the texts held out, by a hash of each text, to choose the thresholds and measure "
                   "(default 0.15)")


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="PATH",
        help="a dataset folder as in data/ (data/youtube-spam), a folder of such folders (data), or a JSONL file "
        "of labelled comments; repeat for more",
    )


def _folds(text: str) -> int:
    """An argparse type: the parts of GermEval 2018 to hold out in turn (one part would be all of it)."""
    if not text.strip().isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 2 (parts of GermEval 2018 to hold out "
                                         f"in turn), got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moderation-train", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model artifact and evaluate it on held-out data")
    _add_data(train)
    train.add_argument("--out", required=True, metavar="DIR", help="directory to write the artifact into")
    train.add_argument("--version", help="version name recorded in the manifest (default: the --out folder's name, "
                       "as models list and models promote call it)")
    train.add_argument("--validation-fraction", type=float, default=0.15, metavar="F", help=VALIDATION_HELP)
    train.add_argument("--spam-precision", type=operations.share(zero=False), default=0.99, metavar="P",
                       help="precision the automatic 'spam' threshold must reach on validation data (above 0, at "
                       "most 1; default 0.99)")
    train.add_argument("--quiet", action="store_true", help="no progress lines")

    targets = commands.add_parser("targets", help="leave-one-video-out spam and held-out GermEval 2018 evaluation")
    _add_data(targets)
    targets.add_argument("--folds", type=_folds, default=3,
                         help="GermEval 2018 folds to hold out (at least 2, default 3)")
    targets.add_argument("--only", choices=("spam", "german"), help="run only one of the two targets")
    targets.add_argument("--json", metavar="FILE", help="also write the results as JSON")

    operations.add_retrain(commands, _add_data)
    operations.add_thresholds(commands, _add_data)
    operations.add_models(commands)
    return parser


def check_out(out: Path) -> None:
    """Refuse an ``--out`` the artifact cannot be written into, before the training (minutes on the shared
    data), not when writing its result."""
    if (out / MANIFEST_FILE).exists():
        raise ValueError(f"{out} holds a model already (it may be live, or the rollback target); choose "
                         "another --out, such as models/<new version>, or remove that folder first")
    if (out / LIVE_POINTER).exists() or (out / HISTORY).exists():
        raise ValueError(f"--out {out}: the models folder itself (it holds {LIVE_POINTER}); train into a version's "
                         f"folder in it, such as {out}/<new version>")
    if problem := folder_problem(out):
        raise ValueError(f"--out {out}: {problem}; choose another --out, such as models/<new version>")


def run_train(args: argparse.Namespace) -> int:
    from . import train as training

    check_out(Path(args.out))
    progress = Progress(quiet=args.quiet)
    datasets = training.load_data(args.data, progress)
    trained = training.train(
        datasets, validation_fraction=args.validation_fraction, spam_precision=args.spam_precision, report=progress
    )
    try:
        out = training.write(trained, args.out, args.version or Path(args.out).resolve().name)
    except OSError as exc:
        raise ValueError(f"cannot write the artifact into {args.out} ({exc.strerror or exc}): no model was written "
                         f"there (an artifact is complete only once its {MANIFEST_FILE}, written last, is); free "
                         "space or fix the permissions and train again") from None
    print(trained.table)
    print(json.dumps({"artifact": str(out), "thresholds": trained.thresholds, "metrics": trained.metrics}))
    progress(f"artifact written to {out}")
    return 0


def run_targets(args: argparse.Namespace) -> int:
    from . import targets

    if args.json:  # before the run (minutes), not after it
        json_out = Path(args.json)
        if json_out.is_dir():
            raise ValueError(f"--json {json_out}: a folder; name the file to write")
        if not json_out.absolute().parent.is_dir():
            raise ValueError(f"--json {json_out}: no folder {json_out.parent} to write it in")
    progress = Progress()
    results = targets.run(args.data, folds=args.folds, report=progress, only=args.only)
    print(targets.format_results(results))
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump(results, handle, indent=2)
        except OSError as exc:
            raise ValueError(f"--json {args.json}: cannot write it ({exc.strerror or exc}); the results are "
                             "printed above") from None
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {
            "train": run_train,
            "targets": run_targets,
            "retrain": operations.run_retrain,
            "thresholds": operations.run_thresholds,
            "models": operations.run_models,
        }[args.command](args)
    except (DatasetError, JsonlError, ValueError, RegistryError, ModelArtifactError, ConfigurationError) as exc:
        print(f"moderation-train: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C
        note = (f"; no model is left half-written (an artifact is complete only once its {MANIFEST_FILE}, written "
                "last, is there)" if args.command in ("train", "retrain") else "")
        print(f"moderation-train: interrupted{note}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
