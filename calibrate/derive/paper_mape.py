"""What the fit_*.py scripts share: the paper's CSV files by folder, and fwtax's MAPE over them with a
framework profile given as a file (fwtax validate --framework FILE)."""
import json
import os
import subprocess

PAPER = "data/measured/framework-tax-2022"


def paper_files(folders, keep):
    """The paper's CSVs in these folders whose file name `keep` accepts."""
    return [f"{PAPER}/{d}/{f}" for d in folders for f in sorted(os.listdir(f"{PAPER}/{d}")) if keep(f)]


def mape(fwtax, profile, csvs):
    """fwtax's MAPE over the runs of these CSVs, predicted with the framework profile file; and their count."""
    apes = []
    for f in csvs:
        out = subprocess.run([fwtax, "validate", "--measured", f, "--framework", profile, "--quiet", "--format", "json"],
                             check=True, capture_output=True, text=True).stdout
        apes += [r["ape_percent"] for r in json.loads(out)["runs"]]
    return sum(apes) / len(apes), len(apes)
