"""Time the AIMC-vs-DIMC study's experiments per mapping space, and the whole `imcbench study` run.

Wall time depends on what else runs on the machine; CPU time (this process and its workers) does not,
so both are printed.

    PYTHONPATH=src python3.11 benchmarks/bench_study.py            # experiments per mapping space
    PYTHONPATH=src python3.11 benchmarks/bench_study.py --whole    # also the whole study with its figures
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, function, *args, **kwargs):
    wall, cpu = time.perf_counter(), cpu_s()
    result = function(*args, **kwargs)
    print(f"{label:<48} wall {time.perf_counter() - wall:6.1f} s   cpu {cpu_s() - cpu:6.1f} s")
    return result


def main(whole: bool) -> None:
    from imcbench.report.study_report import run_study
    from imcbench.studies.defaults import DEFAULT_MAPPING_SPACES
    from imcbench.studies.paper import layer_type_table, run_network_points
    from imcbench.studies.paper_settings import StudySettings

    with tempfile.TemporaryDirectory() as folder:
        for space in DEFAULT_MAPPING_SPACES:
            settings = StudySettings(mapping_spaces=(space,))
            timed(f"representative layers, {space} space", layer_type_table, settings)
            timed(f"7 networks x 12 macros, {space} space (2 workers)", run_network_points, settings, True,
                  Path(folder) / f"{space}.duckdb", workers=2)
        if whole:
            timed("imcbench study (both spaces, every figure)", run_study, StudySettings(), Path(folder) / "study",
                  jobs=2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole", action="store_true", help="also time the whole study with its figures")
    main(parser.parse_args().whole)
