"""SMS cost: encoding and segments exactly as Twilio counts them, and shaping text so
that it costs less."""

from .segments import SegmentInfo, segment_info
from .shaping import shape

__all__ = ["SegmentInfo", "segment_info", "shape"]
