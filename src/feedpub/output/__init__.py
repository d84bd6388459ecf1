"""The only writer to output/: atomic, confined to the folder, only when bytes change.

writer (OutputWriter) <- segments (files copied in part from their last version).
"""

from feedpub.output.segments import Layout, Layouts, Segment
from feedpub.output.writer import OutputWriter, UnsafePathError

__all__ = ["Layout", "Layouts", "OutputWriter", "Segment", "UnsafePathError"]
