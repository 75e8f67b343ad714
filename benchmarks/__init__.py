"""Performance targets. Each ``bench_*.py`` prints its figures against the peer tool it is
measured against in the same run (pandas, lifetimes, mlxtend, …). Run all with ``make bench``."""
