"""The build: posts/ to output/, only what changed.

fastpath.prepare (the lock; nothing changed: done; else a worker warms up) ->
pipeline.build: load -> select -> identify -> render (items, in the runner) ->
plan (artifacts, each with its key) -> write -> record (report). A build with
nothing to do imports fastpath alone.
"""
