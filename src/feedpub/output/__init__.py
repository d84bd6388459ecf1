"""The only writer to output/: atomic, confined to the folder, only when bytes change.

writer (OutputWriter, the manifest of what a build wrote) <- segments (files copied in
part from their last version, by the kernel).
"""
