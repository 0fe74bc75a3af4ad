"""`make bench`: build the Xuzhou and province demo databases, time the pages, the rating run and the
scorecard export against their SQL floors, and load-test gunicorn. Never part of the test suite.

`python -m bench --help` lists the options; results are written to `bench/results/`.
"""
