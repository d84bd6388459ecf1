"""What each command does, step by step.

digest (digest_now: build, then the digest; restore_lost: the digest files output/
lost), check, status, init.
"""
