"""Public cancellation guides, built from policy packs so that guide and rules never disagree."""

from simexit.guides.build import Guide, GuideRule, GuideSection, GuideSource, build_guide

__all__ = ["Guide", "GuideRule", "GuideSection", "GuideSource", "build_guide"]
