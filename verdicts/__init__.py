"""Verdicts: the statistics that turn a study's trials into an answer, with no MLflow and no
study in sight (pandas, numpy and scipy over tidy DataFrames).

- `stats`: a study's summary: each variant's mean and interval, paired differences against
  the baseline, the claim check's rows and verdict;
- `paired`: the one paired t-test and the no-spread rule; `claim_check`: each claim pair
  tested at its level, with the effect the run could detect (`power`) and the
  group-sequential design (`sequential`); `learned`: the check before any verdict;
- `markdown`: a summary as markdown; `calibration`: the A/A false-positive rate.

Layers, lowest first: search_space, trainers, verdicts, studies, analysis; each imports only
from the ones before it (tests/test_layers.py).
"""
