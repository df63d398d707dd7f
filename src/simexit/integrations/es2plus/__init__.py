"""The eSIM port on an SM-DP+ through GSMA SGP.22 ES2+ (operator to SM-DP+, §5.3)."""
