"""feedpub run and feedpub serve: the long-running processes.

service (the Daemon: file events from watch, publish times and the digest schedule,
run in turn by tasks; serving output/ meanwhile), signals (stopping, logging).
"""
