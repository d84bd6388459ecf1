"""What each command does, step by step.

build (build_site: build, then restore lost digests; digest_now: build, then the
digest), check, status, init.
"""
